(function(){var s=document.currentScript,root=s&&s.closest(".l2-converter");
if(!root||root.dataset.ready)return;root.dataset.ready="1";var F=%(formulas)s;
function fmt(v){if(!isFinite(v))return "\u221e";if(v===0)return "0";var a=Math.abs(v);
if(a>=1e-4&&a<1e4)return String(Number(v.toPrecision(4)));
return v.toExponential(3).replace(/\.?0+e/,"e").replace("e+","e");}
function val(k){return Number(root.querySelector('input[data-l2-input="'+k+'"]').value);}
function problem(x){if(!(isFinite(x.lam)&&x.lam>=0))return "λ must be a number ≥ 0.";
if(!(Number.isInteger(x.m)&&x.m>=1))return "m must be a whole number ≥ 1.";
if(!(isFinite(x.lr)&&x.lr>0))return "η must be a number > 0.";
if(!(Number.isInteger(x.B)&&x.B>=1&&x.B<=x.m))return "B must be a whole number from 1 to m.";return "";}
function upd(){var x={lam:val("lam"),m:val("m"),lr:val("lr"),B:val("B")},msg=problem(x);
root.querySelectorAll("[data-l2-output]").forEach(function(o){var f=F[o.dataset.l2Output];
o.textContent=msg?"—":fmt(f(x.lam,x.m,x.lr,x.B));});
root.querySelector(".l2-conv-status").textContent=msg;}
root.querySelectorAll("input[data-l2-input]").forEach(function(el){el.addEventListener("input",upd);
el.addEventListener("change",upd);});upd();})();