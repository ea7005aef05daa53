(function(){var root=document.getElementById("%(id)s");if(!root||root.dataset.ready)return;
root.dataset.ready="1";root.querySelectorAll(".l2-note,.l2-fallback").forEach(function(e){e.remove();});
var d=JSON.parse(root.querySelector("script.l2-data").textContent),svg=root.querySelector("svg.l2-wide");
var slots=svg.querySelectorAll("g[data-l2-slot]"),groups=svg.querySelectorAll("g[data-l2-panel]");
var ins=root.querySelectorAll("input[data-l2-dim]"),P=d.panels,W=d.size[0],H=d.size[1],cache={},stacked=null;
var sw=0,sh=0,off=[];P.forEach(function(p){sw=Math.max(sw,p[2]-p[0]);});
P.forEach(function(p){off.push([(sw-(p[2]-p[0]))/2-p[0],sh-p[1]]);sh+=p[3]-p[1];});
function fit(){if(!P.length)return;var w=Math.min(root.clientWidth,W*4/3);
var st=w*d.font/W<d.minpx&&Math.min(root.clientWidth,sw*4/3)/sw>w/W;if(st===stacked)return;stacked=st;
root.classList.toggle("l2-stacked",st);groups.forEach(function(g){var o=off[+g.dataset.l2Panel];
if(st)g.setAttribute("transform","translate("+o[0].toFixed(2)+" "+o[1].toFixed(2)+")");else g.removeAttribute("transform");});
var vw=st?sw:W,vh=st?sh:H;svg.setAttribute("viewBox","0 0 "+vw+" "+vh);
svg.setAttribute("width",Math.round(vw*4/3));svg.setAttribute("height",Math.round(vh*4/3));svg.style.background="#fff";}
function nodes(k){if(!cache[k]){var f=d.slots[k],out=[];for(var j=0;j<slots.length;j++){
var g=document.createElementNS("http://www.w3.org/2000/svg","g");g.innerHTML=f[j];out.push(Array.prototype.slice.call(g.childNodes));}
cache[k]=out;}return cache[k];}
var cur=+root.dataset.frame;cache[cur]=Array.prototype.map.call(slots,function(s){return Array.prototype.slice.call(s.childNodes);});
function upd(){var k=0;ins.forEach(function(el){var j=+el.dataset.l2Dim,v=el.type==="checkbox"?(el.checked?1:0):+el.value;
k=k*d.shape[j]+v;var o=root.querySelector("output[data-l2-dim='"+j+"']");if(o)o.textContent=d.labels[j][v];
if(el.type!=="checkbox")el.setAttribute("aria-valuetext",d.names[j]+" = "+d.labels[j][v]);});
if(k!==cur){var c=nodes(k);for(var j=0;j<slots.length;j++)slots[j].replaceChildren.apply(slots[j],c[j]);cur=k;}
svg.setAttribute("aria-label",d.alts[k]);root.dataset.frame=k;}
fit();if(window.ResizeObserver)new ResizeObserver(fit).observe(root);else window.addEventListener("resize",fit);
ins.forEach(function(el){el.addEventListener("input",upd);el.addEventListener("change",upd);});
var i=0,idle=window.requestIdleCallback||function(f){return setTimeout(f,50);};
(function pre(){if(i<d.slots.length){nodes(i++);idle(pre);}else root.dataset.parsed="1";})();})();
