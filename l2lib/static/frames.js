(function(){var root=document.getElementById("%(id)s");if(!root||root.dataset.ready)return;
root.dataset.ready="1";var n=root.querySelector(".l2-note");if(n)n.remove();
var d=JSON.parse(root.querySelector("script.l2-data").textContent);
var img=root.querySelector("img.l2-frame");var ins=root.querySelectorAll("input[data-l2-dim]");
function upd(){var k=0;ins.forEach(function(el){var j=+el.dataset.l2Dim,v=el.type==="checkbox"?(el.checked?1:0):+el.value;
k=k*d.shape[j]+v;var o=root.querySelector("output[data-l2-dim='"+j+"']");if(o)o.textContent=d.labels[j][v];
if(el.type!=="checkbox")el.setAttribute("aria-valuetext",d.names[j]+" = "+d.labels[j][v]);});
img.src="data:image/png;base64,"+d.frames[k];img.alt=d.alts[k];root.dataset.frame=k;}
ins.forEach(function(el){el.addEventListener("input",upd);el.addEventListener("change",upd);});})();