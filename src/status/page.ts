// The status page: one self-contained HTML document (no external assets: directors are often
// offline). The server renders the first table with every string escaped; a small script then polls
// /status.json and rebuilds the tables with textContent only, so nothing from the network or the
// config is ever parsed as HTML.
import type { StatusSnapshot, VirtualStatus } from './snapshot.js';

/** HTML-escapes text for element content and quoted attribute values. */
export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** Poll period of the page (ms). */
export const POLL_MS = 1000;

const STYLE = `
body{font:14px/1.4 system-ui,sans-serif;margin:0;padding:8px;background:#fafafa;color:#222}
h1{font-size:18px;margin:4px 0}h2{font-size:15px;margin:16px 0 4px;word-break:break-all}
.meta{color:#555;font-size:12px}.wrap{overflow-x:auto}
table{border-collapse:collapse;width:100%;background:#fff}
th,td{border:1px solid #ddd;padding:4px 6px;text-align:left;vertical-align:top}
td.reason{word-break:break-word;max-width:40ch}
tr.up td.h{background:#c8f0c8}tr.down td.h{background:#f6c0c0}
tr.unchecked td.h{background:#eee}tr.maintenance td.h{background:#f8e4a8}
@media (max-width:600px){th.opt,td.opt{display:none}}
`;

const COLS: readonly (readonly [string, boolean])[] = [
  ['Real', false], ['Health', false], ['Weight', false], ['Last reason', false], ['Latency', true], ['Fails', true], ['Since', true],
];

function cells(r: VirtualStatus['reals'][number]): string[] {
  return [
    r.real,
    r.health,
    r.weight === null ? '-' : String(r.weight),
    r.lastCheck ? r.lastCheck.reason : '',
    r.lastCheck ? `${r.lastCheck.durationMs} ms` : '-',
    String(r.failures),
    r.sinceChangeS === null ? '-' : `${r.sinceChangeS} s`,
  ];
}

function virtualHtml(v: VirtualStatus): string {
  const head = COLS.map(([c, opt]) => `<th${opt ? ' class="opt"' : ''}>${escapeHtml(c)}</th>`).join('');
  const rows = v.reals
    .map((r) => {
      const tds = cells(r).map((c, i) => {
        const cls = [i === 1 ? 'h' : '', i === 3 ? 'reason' : '', COLS[i]![1] ? 'opt' : ''].filter(Boolean).join(' ');
        return `<td${cls ? ` class="${cls}"` : ''}>${escapeHtml(c)}</td>`;
      });
      return `<tr class="${escapeHtml(r.health)}" data-real="${escapeHtml(r.real)}">${tds.join('')}</tr>`;
    })
    .join('');
  const fb = v.fallback ? ` · fallback ${v.fallback.server} ${v.fallback.state}` : '';
  const title = `${v.id} · ${v.scheduler}${v.flags.length ? ` · ${v.flags.join(',')}` : ''}${fb}`;
  return `<section data-virtual="${escapeHtml(v.id)}"><h2>${escapeHtml(title)}</h2><div class="wrap"><table><thead><tr>${head}</tr></thead><tbody>${rows}</tbody></table></div></section>`;
}

function metaText(s: StatusSnapshot): string {
  const sync = s.syncDaemons.length ? s.syncDaemons.map((d) => `${d.state} ${d.mcastInterface} ${d.syncId}`).join(', ') : 'none';
  return `${s.configPath} · pid ${s.pid} · last load ${s.reload.at} ${s.reload.result} · sync daemons: ${sync} · updated ${s.now}`;
}

// The client side mirrors virtualHtml() with DOM calls (textContent, never innerHTML).
const SCRIPT = `
(function(){
var COLS=${JSON.stringify(COLS)};
function el(t,txt,cls){var e=document.createElement(t);if(txt!==undefined)e.textContent=txt;if(cls)e.className=cls;return e;}
function cells(r){return [r.real,r.health,r.weight===null?'-':String(r.weight),r.lastCheck?r.lastCheck.reason:'',r.lastCheck?r.lastCheck.durationMs+' ms':'-',String(r.failures),r.sinceChangeS===null?'-':r.sinceChangeS+' s'];}
function render(s){
  var app=document.getElementById('app');var frag=document.createDocumentFragment();
  s.virtuals.forEach(function(v){
    var sec=el('section');sec.setAttribute('data-virtual',v.id);
    var fb=v.fallback?' \\u00b7 fallback '+v.fallback.server+' '+v.fallback.state:'';
    sec.appendChild(el('h2',v.id+' \\u00b7 '+v.scheduler+(v.flags.length?' \\u00b7 '+v.flags.join(','):'')+fb));
    var wrap=el('div',undefined,'wrap');var t=el('table');var th=el('thead');var hr=el('tr');
    COLS.forEach(function(c){hr.appendChild(el('th',c[0],c[1]?'opt':''));});th.appendChild(hr);t.appendChild(th);
    var tb=el('tbody');
    v.reals.forEach(function(r){var tr=el('tr',undefined,r.health);tr.setAttribute('data-real',r.real);
      cells(r).forEach(function(c,i){tr.appendChild(el('td',c,[i===1?'h':'',i===3?'reason':'',COLS[i][1]?'opt':''].filter(Boolean).join(' ')));});
      tb.appendChild(tr);});
    t.appendChild(tb);wrap.appendChild(t);sec.appendChild(wrap);frag.appendChild(sec);
  });
  app.replaceChildren(frag);
  var sync=s.syncDaemons.length?s.syncDaemons.map(function(d){return d.state+' '+d.mcastInterface+' '+d.syncId;}).join(', '):'none';
  document.getElementById('meta').textContent=s.configPath+' \\u00b7 pid '+s.pid+' \\u00b7 last load '+s.reload.at+' '+s.reload.result+' \\u00b7 sync daemons: '+sync+' \\u00b7 updated '+s.now;
}
function poll(){fetch('status.json',{cache:'no-store'}).then(function(r){return r.json();}).then(render,function(){document.getElementById('meta').textContent='daemon not answering';}).finally(function(){setTimeout(poll,${POLL_MS});});}
setTimeout(poll,${POLL_MS});
})();
`;

/** The whole page, first table rendered on the server. */
export function renderPage(s: StatusSnapshot): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>ldirectord status</title><style>${STYLE}</style></head>
<body><h1>ldirectord</h1><div class="meta" id="meta">${escapeHtml(metaText(s))}</div>
<div id="app">${s.virtuals.map(virtualHtml).join('')}</div>
<script>${SCRIPT}</script></body></html>
`;
}
