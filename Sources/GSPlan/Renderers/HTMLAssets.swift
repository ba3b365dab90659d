/// The stylesheet and script the HTML page inlines: the page is one file that works offline
/// (no CDN, no web fonts), so both live here as strings. The script only enhances: every
/// view, graph and branch is readable with it turned off.
enum HTMLAssets {
    /// The whole stylesheet: the fixed rules plus the colour rules built from `HTMLPalette`.
    static var css: String { base + palette + print }

    /// Colour rules from the palette, so the page and the tests read one table.
    static var palette: String {
        var out = ""
        for precision in HTMLPalette.precisions {
            out += ".p-\(precision.name){background:\(precision.background);color:\(precision.text)}\n"
        }
        out += "details.deployment>summary{background:\(HTMLPalette.deploymentHeader)}\n"
        return out
    }

    /// Layout, type and the two views.
    static let base = #"""
        :root{--ink:#1b1f24;--muted:#647084;--line:#d8dde4;--soft:#f6f7f9;--accent:#1f6feb;
        --mono:"DejaVu Sans Mono",ui-monospace,SFMono-Regular,Menlo,Consolas,monospace}
        *{box-sizing:border-box}
        html,body{margin:0;background:#fff}
        body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,"DejaVu Sans",sans-serif;color:var(--ink)}
        code{font-family:var(--mono);font-size:12.5px}
        .top{display:flex;align-items:center;gap:20px;flex-wrap:wrap;padding:12px 20px;border-bottom:1px solid var(--line);background:#fbfcfd}
        .brand{font-size:19px;font-weight:700;letter-spacing:-.01em}
        .brand span{font-weight:400;color:var(--muted)}
        .summary{display:flex;gap:8px;flex-wrap:wrap;list-style:none;margin:0;padding:0}
        .stat{border:1px solid var(--line);background:#fff;border-radius:999px;padding:2px 11px;color:var(--muted)}
        .stat b{color:var(--ink);font-weight:700}
        .version{margin-left:auto;color:var(--muted);font-size:12.5px}
        .tabs{display:flex;gap:2px;padding:0 20px;border-bottom:1px solid var(--line)}
        .tab{padding:9px 16px 8px;color:var(--muted);text-decoration:none;font-weight:600;border-bottom:2px solid transparent}
        .tab:hover{color:var(--ink)}
        .tab.on{color:var(--ink);border-bottom-color:var(--accent)}
        main{padding:10px 20px 24px}
        .empty{color:var(--muted);font-style:italic}
        .muted{color:var(--muted);font-weight:400}
        .toolbar{display:flex;align-items:center;justify-content:space-between;gap:12px;flex-wrap:wrap}
        .wf-tabs{display:flex;gap:6px;flex-wrap:wrap}
        .wf-tab{border:1px solid var(--line);border-radius:999px;padding:3px 12px;color:var(--ink);text-decoration:none;background:#fff;font-weight:600}
        .wf-tab .count{color:var(--muted);font-weight:400;font-size:12px}
        .wf-tab.on{background:var(--ink);border-color:var(--ink);color:#fff}
        .wf-tab.on .count{color:#c9d1dc}
        .tools{display:flex;align-items:center;gap:6px}
        .tools input{font:inherit;width:210px;padding:4px 10px;border:1px solid var(--line);border-radius:8px}
        .tools input:focus{outline:2px solid #b6d0fb;border-color:var(--accent)}
        .tools button{font:inherit;min-width:34px;padding:3px 10px;border:1px solid var(--line);border-radius:8px;background:#fff;cursor:pointer}
        .tools button:hover{background:var(--soft)}
        .find-count{color:var(--muted);font-size:12.5px;min-width:64px;text-align:right}
        .legend{display:flex;align-items:center;gap:6px;flex-wrap:wrap;margin:8px 0 4px;font-size:12px}
        .kind-chip{display:inline-flex;align-items:center;gap:5px;border:1px solid;border-radius:999px;padding:0 8px 0 6px}
        .kind-chip i{display:inline-block;width:8px;height:8px;border-radius:50%}
        .hint{margin-left:auto;color:var(--muted)}
        html:not(.js) .tools,html:not(.js) .hint{display:none}
        .wf-head h2{font-size:16px;margin:10px 0 0;font-weight:600}
        .wf-head h2 .name{font-weight:700}
        .wf-head .desc{margin:0;color:#39424e}
        .wf-head .meta{margin:0 0 8px;color:var(--muted);font-size:12.5px}
        .canvas{position:relative;border:1px solid var(--line);border-radius:10px;overflow:auto;background:#fff;margin-bottom:16px}
        .canvas:focus{outline:none;border-color:#9ab8ef}
        html.js .canvas{overflow:hidden;cursor:grab;touch-action:none;margin-bottom:0}
        html.js .canvas.dragging{cursor:grabbing}
        html.js .canvas svg.graph{display:block;width:100%;height:100%;user-select:none}
        svg.graph{display:block;font-family:system-ui,-apple-system,"Segoe UI",Roboto,"DejaVu Sans",sans-serif}
        .lane-caption{font-size:11px;fill:#8a94a3;letter-spacing:.04em}
        .node{cursor:pointer}
        .node .name{font-size:14px;font-weight:700;fill:#1b1f24}
        .node .kind{font-size:12px;font-weight:600}
        .node .detail{fill:#6a7482;font-weight:400}
        .node .model{font-family:var(--mono);font-size:12px;fill:#2b3340}
        .node .sep{fill:#8b95a3}
        .node .prec{font-weight:700;fill:#7a4b00}
        .node:hover .box{stroke-width:2.2}
        .node.match .box{stroke-width:2.6}
        .node.hit .box{stroke:#0b1220;stroke-width:3.5}
        .node.hit{filter:drop-shadow(0 0 7px rgba(31,111,235,.7))}
        .node.sel .box{stroke-width:3}
        svg.focus .node:not(.sel):not(.near){opacity:.35}
        svg.focus .edge:not(.on){opacity:.18}
        .edge.on{stroke:var(--accent);stroke-width:2.4}
        .minimap{position:absolute;right:10px;bottom:10px;background:rgba(255,255,255,.92);border:1px solid var(--line);border-radius:6px;box-shadow:0 1px 4px rgba(0,0,0,.08);cursor:crosshair}
        .minimap .mm-view{fill:rgba(31,111,235,.08);stroke:var(--accent);stroke-width:1.5}
        html.js[data-view=tree] #graph-view,html.js[data-view=graph] #tree-view{display:none}
        html.js .workflow:not(.on){display:none}
        .section-title{font-size:16px;margin:14px 0 8px}
        .section-title .muted{font-size:13px}
        details>summary{cursor:pointer;list-style:none}
        details>summary::-webkit-details-marker{display:none}
        details>summary::before{content:"▸";display:inline-block;width:1em;color:var(--muted);transition:transform .1s}
        details[open]>summary::before{transform:rotate(90deg)}
        details.deployment{border:1px solid var(--line);border-radius:10px;margin:0 0 12px;overflow:hidden}
        details.deployment>summary{display:flex;align-items:baseline;gap:12px;padding:9px 14px}
        .dep-name{font-size:15px;font-weight:700}
        .dep-meta{color:var(--muted)}
        .dep-meta b{color:var(--ink);font-weight:600}
        .dep-body{padding:4px 16px 10px}
        .dep-body h3{font-size:11.5px;font-weight:700;letter-spacing:.06em;text-transform:uppercase;color:var(--muted);margin:10px 0 5px}
        .policy{margin:0 0 6px;color:#39424e}
        .batches{display:flex;flex-wrap:wrap;align-items:center;gap:8px 26px;list-style:none;margin:0;padding:0}
        .batch{position:relative;display:flex;align-items:center;gap:5px;border:1px solid var(--line);border-radius:8px;padding:3px 8px;background:var(--soft)}
        .batch+.batch::before{content:"→";position:absolute;left:-19px;color:var(--muted)}
        .batch.canary{border-color:#efb65c;background:#fff6e6}
        .batch-label{font-size:12px;font-weight:700;color:var(--muted)}
        .batch.canary .batch-label{color:#8a5a00}
        .batch-host{font-family:var(--mono);font-size:12px;background:#fff;border:1px solid var(--line);border-radius:4px;padding:0 5px}
        .targets{list-style:none;margin:0;padding:0}
        details.target{margin:3px 0 3px 2px;padding-left:10px;border-left:2px solid var(--line)}
        details.target>summary{display:flex;align-items:center;gap:10px;flex-wrap:wrap;padding:3px 0}
        .host{font-weight:700}
        .device{font-size:12px;background:#eef1f5;border-radius:4px;padding:0 6px}
        .addr{color:#465061}
        .transport{font-size:11px;color:var(--muted);border:1px solid var(--line);border-radius:4px;padding:0 4px}
        .to{color:var(--muted)}
        .bundle-ref{font-family:var(--mono);font-size:12.5px}
        details.bundle{margin:2px 0 8px 18px;padding-left:10px;border-left:2px dashed var(--line)}
        details.bundle>summary{color:#39424e;display:flex;gap:10px;align-items:baseline}
        .models{list-style:none;margin:3px 0 3px 1em;padding:0}
        .models li{display:flex;align-items:center;gap:8px;flex-wrap:wrap;padding:2px 0}
        .models .model{font-weight:600}
        .prec{display:inline-block;border-radius:999px;padding:0 8px;font-size:12px;font-weight:700;line-height:1.55}
        .p-other{background:#eceff3;color:#3d4652}
        .steps-list code{font-size:12px;color:#465061;background:var(--soft);border-radius:4px;padding:0 4px}
        .trust{margin:8px 0 0;color:var(--muted)}
        .table-wrap{overflow-x:auto;border:1px solid var(--line);border-radius:10px}
        table{border-collapse:collapse;width:100%;font-size:13px}
        th{text-align:left;font-size:12px;font-weight:700;color:var(--muted);background:var(--soft);border-bottom:1px solid var(--line);padding:6px 10px}
        td{padding:5px 10px;border-bottom:1px solid #eef0f3;vertical-align:top}
        tbody tr:last-child td{border-bottom:none}
        td.model{font-weight:600}

        """#

    /// Paper: both views one after the other, every workflow drawn whole, no controls.
    static let print = #"""
        @media print{
        .tabs,.tools,.hint,.minimap{display:none!important}
        html.js #graph-view,html.js #tree-view,html.js .workflow{display:block!important}
        .canvas,html.js .canvas{overflow:visible;height:auto!important;border:none}
        html.js .canvas svg.graph{width:100%;height:auto}
        .workflow{break-inside:avoid-page}
        details.deployment,tr{break-inside:avoid}
        .top{background:none}
        }

        """#

    /// Zoom (wheel, buttons, keys), pan (drag), Fit, find-a-task, workflow and view
    /// switching, edge following on click, a minimap for graphs larger than the window.
    /// The URL fragment picks the state: `#tree`, `#graph`, `#workflow=NAME`, `#find=TEXT`
    /// (joined with `&`), so a link or a test can open the page in a given view.
    static let script = #"""
        (function () {
          'use strict';
          var doc = document, root = doc.documentElement, NS = 'http://www.w3.org/2000/svg';
          var flows = [].slice.call(doc.querySelectorAll('.workflow'));
          var wfTabs = [].slice.call(doc.querySelectorAll('.wf-tab'));
          var viewTabs = [].slice.call(doc.querySelectorAll('.tab[data-view]'));
          var findBox = doc.getElementById('find'), findCount = doc.getElementById('find-count');
          var states = [], current = 0, hits = [], hitAt = 0;

          function round(v) { return Math.round(v * 100) / 100; }
          function clampK(k) { return Math.min(4, Math.max(0.04, k)); }
          function state(i) {
            if (states[i]) return states[i];
            var article = flows[i], svg = article.querySelector('svg.graph');
            var s = { i: i, svg: svg, canvas: article.querySelector('.canvas'), ready: false,
                      w: +svg.getAttribute('data-w') || 1, h: +svg.getAttribute('data-h') || 1, x: 0, y: 0, k: 1 };
            states[i] = s;
            wire(s);
            return s;
          }
          function size(s) { return { w: s.canvas.clientWidth || 1, h: s.canvas.clientHeight || 1 }; }
          function apply(s) {
            var c = size(s);
            s.svg.setAttribute('viewBox', [s.x, s.y, c.w / s.k, c.h / s.k].map(round).join(' '));
            minimap(s, c);
          }
          function zoomAt(s, mx, my, factor) {
            var k = clampK(s.k * factor), gx = s.x + mx / s.k, gy = s.y + my / s.k;
            s.k = k; s.x = gx - mx / k; s.y = gy - my / k;
            apply(s);
          }
          function fit(s) {
            var c = size(s);
            s.k = clampK(Math.min(c.w / s.w, c.h / s.h, 1.25));
            s.x = (s.w - c.w / s.k) / 2; s.y = (s.h - c.h / s.k) / 2;
            apply(s);
          }
          function centre(s, cx, cy) {
            var c = size(s);
            s.x = cx - c.w / s.k / 2; s.y = cy - c.h / s.k / 2;
            apply(s);
          }
          // First view: the whole workflow when it fits at a readable size, else readable
          // size at its start: the left edge, from the topmost node in sight.
          function firstView(s) {
            var c = size(s);
            if (Math.min(c.w / s.w, c.h / s.h) >= 0.7) { fit(s); return; }
            s.k = 0.9; s.x = 0;
            var top = s.h, nodes = s.svg.querySelectorAll('.node');
            for (var n = 0; n < nodes.length; n++) {
              if (+nodes[n].getAttribute('data-cx') < c.w / s.k) top = Math.min(top, +nodes[n].getAttribute('data-cy'));
            }
            s.y = Math.max(0, Math.min(s.h - c.h / s.k, top - 90));
            apply(s);
          }
          // The canvas fills the window below it; a workflow that fits its width at a
          // readable size gets a canvas just as tall as it needs.
          function prepare(s) {
            var top = s.canvas.getBoundingClientRect().top + window.pageYOffset;
            var room = Math.max(320, window.innerHeight - top - 14);
            var k = Math.min(s.canvas.clientWidth / s.w, 1.25);
            var height = k >= 0.7 && s.h * k + 2 <= room ? Math.max(120, Math.ceil(s.h * k) + 2) : room;
            s.canvas.style.height = height + 'px';
            if (!s.ready) { s.ready = true; firstView(s); } else apply(s);
          }
          function minimap(s, c) {
            var big = s.w * s.k > c.w + 1 || s.h * s.k > c.h + 1;
            if (!s.mini) {
              if (!big) return;
              var m = doc.createElementNS(NS, 'svg'), scale = Math.min(220 / s.w, 150 / s.h);
              m.setAttribute('class', 'minimap');
              m.setAttribute('viewBox', '0 0 ' + s.w + ' ' + s.h);
              m.setAttribute('width', round(s.w * scale));
              m.setAttribute('height', round(s.h * scale));
              var use = doc.createElementNS(NS, 'use');
              use.setAttribute('href', '#content-' + s.i);
              var view = doc.createElementNS(NS, 'rect');
              view.setAttribute('class', 'mm-view');
              view.setAttribute('vector-effect', 'non-scaling-stroke');
              m.appendChild(use); m.appendChild(view);
              s.canvas.appendChild(m);
              s.mini = m; s.view = view;
              var move = function (e) {
                var b = m.getBoundingClientRect();
                centre(s, (e.clientX - b.left) / b.width * s.w, (e.clientY - b.top) / b.height * s.h);
              };
              m.addEventListener('pointerdown', function (e) {
                e.stopPropagation(); move(e); m.setPointerCapture(e.pointerId); m.onpointermove = move;
              });
              m.addEventListener('pointerup', function () { m.onpointermove = null; });
            }
            s.mini.style.display = big ? '' : 'none';
            s.view.setAttribute('x', round(s.x)); s.view.setAttribute('y', round(s.y));
            s.view.setAttribute('width', round(c.w / s.k)); s.view.setAttribute('height', round(c.h / s.k));
          }
          function select(s, node) {
            var svg = s.svg;
            [].forEach.call(svg.querySelectorAll('.sel,.near'), function (el) { el.classList.remove('sel', 'near'); });
            [].forEach.call(svg.querySelectorAll('.edge.on'), function (el) {
              el.classList.remove('on'); el.setAttribute('marker-end', 'url(#arrow-' + s.i + ')');
            });
            if (!node || node === s.selected) { s.selected = null; svg.classList.remove('focus'); return; }
            s.selected = node;
            node.classList.add('sel');
            svg.classList.add('focus');
            var i = node.getAttribute('data-i');
            [].forEach.call(svg.querySelectorAll('.edge'), function (edge) {
              var from = edge.getAttribute('data-from'), to = edge.getAttribute('data-to');
              if (from !== i && to !== i) return;
              edge.classList.add('on');
              edge.setAttribute('marker-end', 'url(#arrow-on-' + s.i + ')');
              edge.parentNode.appendChild(edge);
              var other = svg.querySelector('.node[data-i="' + (from === i ? to : from) + '"]');
              if (other) other.classList.add('near');
            });
          }
          function wire(s) {
            var c = s.canvas, drag = null;
            c.addEventListener('wheel', function (e) {
              e.preventDefault();
              var b = s.svg.getBoundingClientRect();
              var d = e.deltaY * (e.deltaMode === 1 ? 16 : e.deltaMode === 2 ? 400 : 1);
              zoomAt(s, e.clientX - b.left, e.clientY - b.top, Math.exp(-d * 0.0015));
            }, { passive: false });
            c.addEventListener('pointerdown', function (e) {
              if (e.button !== 0) return;
              drag = { x: e.clientX, y: e.clientY, moved: false, id: e.pointerId };
            });
            c.addEventListener('pointermove', function (e) {
              if (!drag) return;
              var dx = e.clientX - drag.x, dy = e.clientY - drag.y;
              if (!drag.moved && Math.abs(dx) + Math.abs(dy) < 4) return;
              if (!drag.moved) {
                drag.moved = true;
                c.classList.add('dragging');
                try { c.setPointerCapture(drag.id); } catch (err) { }
              }
              s.x -= dx / s.k; s.y -= dy / s.k; drag.x = e.clientX; drag.y = e.clientY;
              apply(s);
            });
            c.addEventListener('pointerup', function (e) {
              if (!drag) return;
              var was = drag;
              drag = null;
              c.classList.remove('dragging');
              if (!was.moved) select(s, e.target.closest ? e.target.closest('.node') : null);
            });
            c.addEventListener('pointercancel', function () { drag = null; c.classList.remove('dragging'); });
            c.addEventListener('keydown', function (e) {
              var step = 80 / s.k, z = size(s);
              if (e.key === 'ArrowLeft') s.x -= step; else if (e.key === 'ArrowRight') s.x += step;
              else if (e.key === 'ArrowUp') s.y -= step; else if (e.key === 'ArrowDown') s.y += step;
              else if (e.key === '+' || e.key === '=') { zoomAt(s, z.w / 2, z.h / 2, 1.25); return; }
              else if (e.key === '-') { zoomAt(s, z.w / 2, z.h / 2, 0.8); return; }
              else if (e.key === '0') { fit(s); return; }
              else return;
              e.preventDefault();
              apply(s);
            });
          }
          function showView(view) {
            root.setAttribute('data-view', view);
            viewTabs.forEach(function (tab) { tab.classList.toggle('on', tab.getAttribute('data-view') === view); });
          }
          function showWorkflow(i) {
            if (!flows.length) return;
            current = Math.max(0, Math.min(flows.length - 1, i));
            flows.forEach(function (a, j) { a.classList.toggle('on', j === current); });
            wfTabs.forEach(function (t, j) {
              t.classList.toggle('on', j === current);
              t.setAttribute('aria-selected', j === current ? 'true' : 'false');
            });
            if (root.getAttribute('data-view') === 'graph') prepare(state(current));
          }
          function matches(i, q) {
            var nodes = [].slice.call(flows[i].querySelectorAll('.node'));
            return nodes.map(function (el, at) {
              var name = (el.getAttribute('data-name') || '').toLowerCase();
              return { el: el, at: at, rank: name === q ? 0 : name.indexOf(q) === 0 ? 1 : name.indexOf(q) > 0 ? 2 : 9 };
            }).filter(function (m) { return m.rank < 9; })
              .sort(function (a, b) { return a.rank - b.rank || a.at - b.at; })
              .map(function (m) { return m.el; });
          }
          function clearFind() {
            hits.forEach(function (el) { el.classList.remove('match', 'hit'); });
            hits = []; hitAt = 0; findCount.textContent = '';
          }
          function focusHit() {
            hits.forEach(function (el) { el.classList.remove('hit'); });
            var el = hits[hitAt];
            if (!el) return;
            el.classList.add('hit');
            findCount.textContent = (hitAt + 1) + ' of ' + hits.length;
            var s = state(current);
            if (!s.ready) return;
            s.k = Math.max(s.k, 1);
            centre(s, +el.getAttribute('data-cx'), +el.getAttribute('data-cy'));
          }
          function find(text) {
            clearFind();
            var q = text.trim().toLowerCase();
            if (!q || !flows.length) return;
            var order = [current].concat(flows.map(function (_, j) { return j; }).filter(function (j) { return j !== current; }));
            for (var n = 0; n < order.length; n++) {
              var list = matches(order[n], q);
              if (!list.length) continue;
              if (order[n] !== current) showWorkflow(order[n]);
              hits = list;
              hits.forEach(function (el) { el.classList.add('match'); });
              focusHit();
              return;
            }
            findCount.textContent = 'no match';
          }
          function params() {
            var out = {};
            location.hash.replace(/^#/, '').split('&').forEach(function (part) {
              if (!part) return;
              var at = part.indexOf('='), key = at < 0 ? part : part.slice(0, at), value = at < 0 ? '' : part.slice(at + 1);
              try { value = decodeURIComponent(value.replace(/\+/g, ' ')); } catch (e) { }
              out[key] = value;
            });
            return out;
          }
          function route() {
            var p = params(), wf = current;
            Object.keys(p).forEach(function (key) { var m = /^wf-(\d+)$/.exec(key); if (m) wf = +m[1]; });
            if ('workflow' in p) flows.forEach(function (a, j) { if (a.getAttribute('data-name') === p.workflow) wf = j; });
            showView('tree' in p || 'tree-view' in p ? 'tree' : 'graph');
            showWorkflow(wf);
            if (p.find) { findBox.value = p.find; find(p.find); }
          }
          function go(hash) { history.pushState(null, '', hash); route(); }
          viewTabs.forEach(function (tab) {
            tab.addEventListener('click', function (e) { e.preventDefault(); go('#' + tab.getAttribute('data-view')); });
          });
          wfTabs.forEach(function (tab, j) {
            tab.addEventListener('click', function (e) {
              e.preventDefault();
              go('#workflow=' + encodeURIComponent(flows[j].getAttribute('data-name')));
            });
          });
          [].forEach.call(doc.querySelectorAll('[data-zoom]'), function (button) {
            button.addEventListener('click', function () {
              if (!flows.length) return;
              var s = state(current), c = size(s), what = button.getAttribute('data-zoom');
              if (what === 'fit') fit(s);
              else if (what === 'one') zoomAt(s, c.w / 2, c.h / 2, 1 / s.k);
              else zoomAt(s, c.w / 2, c.h / 2, what === 'in' ? 1.25 : 0.8);
            });
          });
          if (findBox) {
            findBox.addEventListener('input', function () { find(findBox.value); });
            findBox.addEventListener('keydown', function (e) {
              if (e.key === 'Enter' && hits.length) { hitAt = (hitAt + (e.shiftKey ? hits.length - 1 : 1)) % hits.length; focusHit(); }
              else if (e.key === 'Escape') { findBox.value = ''; clearFind(); }
            });
          }
          window.addEventListener('hashchange', route);
          window.addEventListener('popstate', route);
          window.addEventListener('resize', function () {
            if (flows.length && root.getAttribute('data-view') === 'graph') prepare(state(current));
          });
          var closed = [];
          window.addEventListener('beforeprint', function () {
            closed = [].filter.call(doc.querySelectorAll('details'), function (d) { return !d.open; });
            closed.forEach(function (d) { d.open = true; });
            [].forEach.call(doc.querySelectorAll('svg.graph'), function (svg) {
              svg.setAttribute('viewBox', '0 0 ' + svg.getAttribute('data-w') + ' ' + svg.getAttribute('data-h'));
            });
          });
          window.addEventListener('afterprint', function () {
            closed.forEach(function (d) { d.open = false; });
            states.forEach(function (s) { if (s && s.ready) apply(s); });
          });
          route();
          root.setAttribute('data-ready', 'true');
        })();

        """#
}
