// The container timeline at /__sim/: draws the simulator's events (/__sim/events, Server-Sent Events)
// as one lane per container. Plain DOM and SVG, no framework, nothing fetched from the network.
// Layout: x advances with each event in the order they happened (not with wall-clock time, which
// would make a 3 ms invocation invisible next to a 10 min idle); a clock gap of a second or more is
// drawn as a labelled band. Event types are documented in docs/timeline.md.
'use strict';

(() => {
  const SVG = 'http://www.w3.org/2000/svg';
  const LANE_H = 76;
  const AXIS_H = 22;
  const STAGGER = 14; // between starts that overlap (a concurrent burst)
  const MIN_BAR = 215; // room for "r12 · 200 · 4.21 ms · cold" and the path
  const COLD_W = 84;
  const GAP = 18;
  const SETTLE_W = 30;
  const TIME_GAP_W = 84;
  const TIME_GAP_MIN_MS = 1000;
  const FROZEN_MIN = 60;
  const FROZEN_PENDING_MIN = 300; // room for "POST /.netlify/functions/collect (from r12)"
  const PAD = 12;
  // A page left open under load must stay responsive: each function keeps (and draws) only its last
  // WINDOW_PX of timeline, about 1,500 invocations at the tightest spacing; older items are dropped.
  const WINDOW_PX = 24_000;
  // Redraws at most this often (the whole SVG is rebuilt each time).
  const MIN_REDRAW_MS = 150;

  const el = {
    filter: document.getElementById('filter'),
    pause: document.getElementById('pause'),
    clear: document.getElementById('clear'),
    status: document.getElementById('status'),
    functions: document.getElementById('functions'),
    empty: document.getElementById('empty'),
    details: document.getElementById('details-body'),
    panel: document.getElementById('details'),
    stories: document.getElementById('stories'),
    storyList: document.getElementById('story-list'),
  };
  for (const node of document.querySelectorAll('.origin')) node.textContent = location.origin;

  /** @type {Map<string, any>} */
  let model = new Map();
  let lastSeq = 0;
  let clearedAfter = 0;
  let paused = false;
  /** Events received while paused, applied on resume. */
  let held = [];
  let hello = null;
  let live = false;
  let renderQueued = false;
  let focusKey = null;
  let rendering = false;

  // ---- model ---------------------------------------------------------------------------------

  function fnOf(name) {
    let fn = model.get(name);
    if (!fn) {
      fn = { name, lanes: new Map(), cursor: PAD, prunedTo: 0, lastAtMs: undefined, gaps: [], throttled: [], invocations: 0, cold: 0 };
      model.set(name, fn);
    }
    return fn;
  }

  function laneOf(fn, id) {
    let lane = fn.lanes.get(id);
    if (!lane) {
      lane = { id, colds: [], invs: [], frozen: [], ends: [], current: null, openFrozen: null };
      fn.lanes.set(id, lane);
    }
    return lane;
  }

  function workText(work) {
    if (work.kind === 'timer') return `${work.timerApi || 'timer'} ${work.delayMs ?? '?'} ms`;
    return `${work.method || ''} ${shortUrl(work.url || '')}`.trim();
  }

  /**
   * In words, the work a freeze left: the requests by name, timers counted (a fetch's own
   * AbortSignal.timeout is a timer too; the request is what a reader is looking for).
   */
  function worksText(works) {
    const requests = works.filter((work) => work.kind !== 'timer').map(workText);
    const timers = works.length - requests.length;
    const timerText = timers === 0 ? '' : `${timers} timer${timers === 1 ? '' : 's'}`;
    if (requests.length === 0) return timerText;
    return timerText ? `${requests.join(', ')}, plus ${timerText}` : requests.join(', ');
  }

  /** The work a freeze left that the request which froze the container started (older leftovers aside). */
  function ownWork(span) {
    const own = span.pending.filter((work) => work.requestId === span.requestId);
    return own.length ? own : span.pending;
  }

  function shortUrl(url) {
    try {
      const parsed = new URL(url);
      return parsed.host === location.host ? parsed.pathname + parsed.search : parsed.host + parsed.pathname;
    } catch {
      return url;
    }
  }

  function ms(value) {
    return value === undefined ? '?' : `${value.toFixed(2)} ms`;
  }

  function clockGap(deltaMs) {
    if (deltaMs >= 3_600_000) return `+${(deltaMs / 3_600_000).toFixed(1)} h`;
    if (deltaMs >= 60_000) {
      const min = Math.floor(deltaMs / 60_000);
      const s = Math.round((deltaMs % 60_000) / 1000);
      return s ? `+${min} min ${s} s` : `+${min} min`;
    }
    return `+${(deltaMs / 1000).toFixed(deltaMs < 10_000 ? 1 : 0)} s`;
  }

  function apply(event) {
    if (event.seq <= clearedAfter) return;
    lastSeq = Math.max(lastSeq, event.seq);
    const fn = fnOf(event.functionName);
    if (fn.lastAtMs !== undefined && event.atMs - fn.lastAtMs >= TIME_GAP_MIN_MS) {
      fn.gaps.push({ x: fn.cursor, w: TIME_GAP_W, label: clockGap(event.atMs - fn.lastAtMs) });
      fn.cursor += TIME_GAP_W;
    }
    fn.lastAtMs = event.atMs;
    if (event.type === 'throttled') {
      fn.throttled.push({ x: fn.cursor, ...event });
      fn.cursor += STAGGER;
      return;
    }
    const lane = laneOf(fn, event.containerId);
    switch (event.type) {
      case 'container-spawned':
        lane.colds.push({ x0: fn.cursor, x1: undefined, atMs: event.atMs });
        fn.cold += 1;
        break;
      case 'invocation-start': {
        // A frozen span holding unfinished work gets room to say so.
        if (lane.openFrozen) fn.cursor = Math.max(fn.cursor, lane.openFrozen.x0 + (lane.openFrozen.pending.length ? FROZEN_PENDING_MIN : FROZEN_MIN));
        const inv = {
          requestId: event.requestId, method: event.method, path: event.path, coldStart: event.coldStart,
          x0: fn.cursor, x1: undefined, status: undefined, settled: [], atMs: event.atMs, lane: lane.id,
        };
        if (lane.openFrozen) {
          lane.openFrozen.x1 = fn.cursor;
          lane.openFrozen.thawedBy = event.requestId;
          lane.openFrozen = null;
        }
        lane.current = inv;
        lane.invs.push(inv);
        fn.invocations += 1;
        fn.cursor += STAGGER;
        break;
      }
      case 'init-done': {
        const cold = lane.colds.at(-1);
        if (cold) {
          cold.x1 = Math.max(fn.cursor, cold.x0 + COLD_W);
          cold.initDurationMs = event.initDurationMs;
          cold.spawnMs = event.spawnMs;
          fn.cursor = cold.x1;
        }
        if (lane.current) {
          // The cold start is drawn before the bar: INIT, then the handler.
          if (cold) lane.current.barX0 = cold.x1;
          lane.current.initDurationMs = event.initDurationMs;
          lane.current.spawnMs = event.spawnMs;
        }
        break;
      }
      case 'thawed': {
        const span = lane.frozen.at(-1);
        if (span && span.thawedBy === event.requestId) {
          span.frozenForMs = event.frozenForMs;
          span.carriedOver = event.carriedOver;
        }
        break;
      }
      case 'carried-over-finished': {
        const inv = lane.current;
        if (!inv) break;
        const mark = { x: fn.cursor, inside: event.requestId, finished: event.finished, stillPending: event.stillPending, lane: lane.id };
        inv.settled.push(mark);
        fn.cursor += SETTLE_W;
        // Link each finished piece to the frozen span that held it (the same container, earlier).
        for (const span of lane.frozen) {
          if (span.pending.length === 0 || span.finishedIn) continue;
          if (event.finished.some((work) => span.pending.some((p) => sameWork(p, work)))) {
            span.finishedIn = mark;
            mark.from = span.requestId;
          }
        }
        break;
      }
      case 'response':
        if (lane.current && lane.current.requestId === event.requestId) lane.current.status = event.status;
        fn.cursor += 4;
        break;
      case 'frozen': {
        const inv = lane.current;
        if (!inv) break;
        Object.assign(inv, {
          x1: Math.max(fn.cursor, (inv.barX0 ?? inv.x0) + MIN_BAR), outcome: event.outcome, durationMs: event.durationMs,
          billedDurationMs: event.billedDurationMs, maxMemoryUsedMb: event.maxMemoryUsedMb,
          pendingAtFreeze: event.pendingAtFreeze, errorMessage: event.errorMessage,
        });
        fn.cursor = inv.x1 + GAP;
        const span = {
          x0: inv.x1, x1: undefined, requestId: event.requestId, pending: event.pendingAtFreeze, lane: lane.id,
          inv, atMs: event.atMs, thawedBy: undefined, finishedIn: undefined, lost: false,
        };
        inv.frozenSpan = span;
        lane.frozen.push(span);
        lane.openFrozen = span;
        lane.current = null;
        break;
      }
      case 'container-ended': {
        let x;
        if (event.requestId && lane.current) {
          const inv = lane.current;
          Object.assign(inv, {
            x1: Math.max(fn.cursor, (inv.barX0 ?? inv.x0) + MIN_BAR), outcome: event.outcome, durationMs: event.durationMs,
            errorMessage: event.errorMessage,
          });
          x = inv.x1;
          lane.current = null;
        } else {
          const open = lane.openFrozen;
          x = Math.max(fn.cursor, open ? open.x0 + (open.pending.length ? FROZEN_PENDING_MIN : FROZEN_MIN) : fn.cursor);
          if (open) {
            open.x1 = x;
            open.endedBy = event.reason;
            if (event.lostWork.length > 0) open.lost = true;
            lane.openFrozen = null;
          }
        }
        lane.ends.push({ x, reason: event.reason, tmpKept: event.tmpKept, lostWork: event.lostWork, requestId: event.requestId, errorMessage: event.errorMessage, atMs: event.atMs, lane: lane.id });
        fn.cursor = x + GAP + 50;
        break;
      }
      default:
        break;
    }
    prune(fn);
  }

  /** Forgets what has scrolled out of the function's window (see WINDOW_PX). */
  function prune(fn) {
    const minX = fn.cursor - WINDOW_PX;
    if (minX <= fn.prunedTo + WINDOW_PX / 4) return;
    fn.prunedTo = minX;
    const keep = (end) => end === undefined || end >= minX;
    for (const [id, lane] of fn.lanes) {
      lane.invs = lane.invs.filter((inv) => keep(inv.x1));
      lane.frozen = lane.frozen.filter((span) => keep(span.x1));
      lane.colds = lane.colds.filter((cold) => keep(cold.x1));
      lane.ends = lane.ends.filter((end) => end.x >= minX);
      const empty = !lane.current && !lane.openFrozen && lane.invs.length + lane.frozen.length + lane.colds.length + lane.ends.length === 0;
      if (empty) fn.lanes.delete(id);
    }
    fn.gaps = fn.gaps.filter((gap) => gap.x + gap.w >= minX);
    fn.throttled = fn.throttled.filter((t) => t.x >= minX);
  }

  function sameWork(a, b) {
    return a.requestId === b.requestId && a.kind === b.kind && a.method === b.method && a.url === b.url && a.delayMs === b.delayMs;
  }

  // ---- rendering -----------------------------------------------------------------------------

  function svg(name, attrs, parent) {
    const node = document.createElementNS(SVG, name);
    for (const [key, value] of Object.entries(attrs || {})) if (value !== undefined) node.setAttribute(key, String(value));
    if (parent) parent.appendChild(node);
    return node;
  }

  function text(parent, x, y, content, cls) {
    const node = svg('text', { x, y, class: cls }, parent);
    node.textContent = content;
    return node;
  }

  function fit(content, widthPx, charPx = 6.6) {
    const max = Math.max(1, Math.floor(widthPx / charPx));
    return content.length <= max ? content : `${content.slice(0, Math.max(1, max - 1))}…`;
  }

  /** A focusable, hoverable group with a details record. */
  function item(parent, key, kind, data, label, details) {
    const g = svg('g', { class: `item ${kind}`, tabindex: 0, role: 'img', 'aria-label': label, 'data-key': key, ...data }, parent);
    g.setAttribute('aria-describedby', 'details');
    g.addEventListener('mouseenter', () => showDetails(details, g));
    g.addEventListener('mouseleave', () => {
      if (document.activeElement !== g) hideDetails();
    });
    g.addEventListener('focus', () => {
      focusKey = key;
      showDetails(details, g);
    });
    g.addEventListener('blur', () => {
      // A redraw replaces the focused element and focuses its successor: that is not the reader leaving.
      if (!rendering) focusKey = null;
      hideDetails();
    });
    return g;
  }

  function hideDetails() {
    el.panel.hidden = true;
  }

  /** Shows the details next to the item they describe (below it, or above when there is no room). */
  function place(anchor) {
    const box = anchor.getBoundingClientRect();
    const panel = el.panel.getBoundingClientRect();
    const margin = 8;
    const left = Math.min(Math.max(margin, box.left), window.innerWidth - panel.width - margin);
    let top = box.bottom + margin;
    if (top + panel.height > window.innerHeight - margin) top = Math.max(margin, box.top - panel.height - margin);
    el.panel.style.left = `${left}px`;
    el.panel.style.top = `${top}px`;
  }

  function showDetails(details, anchor) {
    el.panel.hidden = false;
    el.details.replaceChildren();
    const h = document.createElement('h3');
    h.textContent = details.title;
    h.style.margin = '0 0 6px';
    h.style.fontSize = '14px';
    const dl = document.createElement('dl');
    for (const [term, value] of details.rows) {
      if (value === undefined || value === '') continue;
      const dt = document.createElement('dt');
      dt.textContent = term;
      const dd = document.createElement('dd');
      dd.textContent = value;
      dl.append(dt, dd);
    }
    el.details.append(h, dl);
    if (details.say) {
      const p = document.createElement('p');
      p.className = 'say';
      p.textContent = details.say;
      el.details.append(p);
    }
    if (anchor) place(anchor);
  }

  function time(atMs) {
    return new Date(atMs).toISOString().replace('T', ' ').replace('Z', ' UTC');
  }

  function pendingSentence(span) {
    const works = worksText(ownWork(span));
    const by = span.inv ? `${span.requestId} (${span.inv.method} ${span.inv.path}${span.inv.status ? ` → ${span.inv.status}` : ''})` : span.requestId;
    if (span.finishedIn) {
      const wait = span.frozenForMs !== undefined && span.frozenForMs >= TIME_GAP_MIN_MS ? `, ${clockGap(span.frozenForMs).slice(1)} later` : '';
      return `${by}: this request's work (${works}) was frozen, unfinished, when its container froze; it ran only when the next request (${span.finishedIn.inside}) thawed the container${wait}.`;
    }
    if (span.lost) {
      return `${by}: this request's work (${works}) was frozen, unfinished, when its container froze; the container was ${span.endedBy} with it still frozen, so it never ran.`;
    }
    if (span.thawedBy) {
      return `${by}: this request's work (${works}) was frozen, unfinished, when its container froze; the next request (${span.thawedBy}) thawed the container and it is running again.`;
    }
    return `${by}: this request's work (${works}) is frozen, unfinished, in container ${span.lane}; it will run only when the next request to that container thaws it (or never, if the container is reaped first).`;
  }

  const endWords = {
    reaped: 'reaped (idle timeout)', crashed: 'crashed', 'timed-out': 'timed out', 'out-of-memory': 'out of memory',
    'init-error': 'init error', rebuilt: 'replaced by a rebuild', 'shut-down': 'shut down',
  };

  function renderFunction(fn) {
    const section = document.createElement('section');
    section.className = 'fn';
    section.dataset.function = fn.name;
    const header = document.createElement('header');
    const h2 = document.createElement('h2');
    h2.textContent = fn.name;
    const meta = document.createElement('span');
    meta.className = 'meta';
    meta.textContent = `${fn.lanes.size} container${fn.lanes.size === 1 ? '' : 's'} · ${fn.invocations} invocation${fn.invocations === 1 ? '' : 's'} · ${fn.cold} cold start${fn.cold === 1 ? '' : 's'}${fn.throttled.length ? ` · ${fn.throttled.length} throttled (429)` : ''}`;
    header.append(h2, meta);
    section.append(header);

    const body = document.createElement('div');
    body.className = 'body';
    const labels = document.createElement('div');
    labels.className = 'labels';
    const scroll = document.createElement('div');
    scroll.className = 'scroll';
    scroll.tabIndex = -1;
    body.append(labels, scroll);
    section.append(body);

    const lanes = [...fn.lanes.values()];
    const rows = lanes.length + (fn.throttled.length ? 1 : 0);
    const nowX = fn.cursor + 40;
    const width = Math.max(nowX + FROZEN_PENDING_MIN + 20, 600);
    const height = AXIS_H + rows * LANE_H;
    // Past the window, the view starts where the kept items start (x stays in model coordinates).
    const minX = fn.prunedTo > 0 ? fn.prunedTo - PAD : 0;
    const root = svg('svg', { width: width - minX, height, viewBox: `${minX} 0 ${width - minX} ${height}`, preserveAspectRatio: 'xMinYMin meet', role: 'group', 'aria-label': `${fn.name} timeline` }, scroll);

    const axisLabel = document.createElement('div');
    axisLabel.className = 'axis';
    axisLabel.textContent = 'container';
    labels.append(axisLabel);

    for (const gap of fn.gaps) {
      svg('rect', { x: gap.x + 4, y: 0, width: gap.w - 8, height, class: 'gap-band' }, root);
      text(root, gap.x + gap.w / 2, 15, gap.label, 'gap-label').setAttribute('text-anchor', 'middle');
    }

    lanes.forEach((lane, index) => {
      const top = AXIS_H + index * LANE_H;
      const label = document.createElement('div');
      label.dataset.container = lane.id;
      label.className = 'lane-label';
      const ended = lane.ends.at(-1);
      const state = lane.current ? 'busy' : lane.openFrozen ? 'frozen' : ended && !ended.tmpKept ? endWords[ended.reason] : 'idle';
      label.textContent = lane.id;
      const small = document.createElement('small');
      small.textContent = state;
      label.append(small);
      labels.append(label);

      const g = svg('g', { class: 'lane', 'data-container': lane.id }, root);
      // Drawn past the content: CSS may make the SVG wider than its content (min-width: 100%).
      svg('line', { x1: minX, x2: width + 2000, y1: top + LANE_H - 0.5, y2: top + LANE_H - 0.5, class: 'lane-sep' }, g);

      // Frozen spans first, so bars draw over their ends.
      lane.frozen.forEach((span, i) => drawFrozen(g, fn, lane, span, i, top, nowX));
      lane.invs.forEach((inv) => drawInvocation(g, lane, inv, top, nowX));
      lane.colds.forEach((cold, i) => drawCold(g, lane, cold, i, top));
      lane.ends.forEach((end, i) => drawEnd(g, lane, end, i, top));
    });

    if (fn.throttled.length) {
      const top = AXIS_H + lanes.length * LANE_H;
      const label = document.createElement('div');
      label.textContent = 'throttled';
      const small = document.createElement('small');
      small.textContent = '429, no container';
      label.append(small);
      labels.append(label);
      for (const t of fn.throttled) {
        const g = item(root, `t-${t.requestId}`, 'throttled', { 'data-request-id': t.requestId }, `${t.requestId} throttled`, {
          title: `${t.requestId} throttled (429)`,
          rows: [['request', `${t.method} ${t.path}`], ['when', time(t.atMs)]],
          say: 'Every container was busy at the concurrency limit: the platform answered 429 without running the function.',
        });
        svg('rect', { x: t.x, y: top + 20, width: 10, height: 24, rx: 2, class: 'throttle hit' }, g);
      }
    }
    return { section, scroll };
  }

  function drawFrozen(g, fn, lane, span, i, top, nowX) {
    const x1 = span.x1 ?? Math.max(nowX, span.x0 + (span.pending.length ? FROZEN_PENDING_MIN : FROZEN_MIN));
    const pending = span.pending.length > 0;
    const y = pending ? top + 17 : top + 26;
    const h = pending ? 30 : 12;
    const works = worksText(ownWork(span));
    const label = pending
      ? `Frozen after ${span.requestId} with unfinished work: ${works}`
      : `Frozen after ${span.requestId}`;
    const node = item(g, `f-${lane.id}-${i}`, 'frozen', {
      'data-left-by': span.requestId, 'data-pending': span.pending.length, 'data-thawed-by': span.thawedBy,
      'data-finished-in': span.finishedIn?.inside, 'data-container': lane.id,
    }, label, {
      title: pending ? `Frozen with unfinished work (after ${span.requestId})` : `Frozen (after ${span.requestId})`,
      rows: [
        ['container', lane.id],
        ['froze after', span.requestId],
        ['since', time(span.atMs)],
        ['frozen for', span.frozenForMs !== undefined ? `${clockGap(span.frozenForMs).slice(1)} on the clock` : span.x1 === undefined ? 'still frozen' : undefined],
        ['work pending', pending ? span.pending.map((w) => `${workText(w)} (started by ${w.requestId})`).join('; ') : 'none'],
        ['thawed by', span.thawedBy],
        ['finished inside', span.finishedIn?.inside],
        ['ended', span.endedBy ? endWords[span.endedBy] : undefined],
      ],
      say: pending ? pendingSentence(span) : undefined,
    });
    svg('rect', { x: span.x0, y, width: Math.max(2, x1 - span.x0), height: h, class: `frozen-band hit${pending ? ' pending' : ''}` }, node);
    const room = x1 - span.x0 - 10;
    if (pending && room > 30) {
      text(node, span.x0 + 6, y + 13, fit(`⚠ ${span.requestId}'s work, frozen unfinished:`, room, 6.9), 'pending-text');
      // The requests by name (timers are counted in the details and the sentence above).
      const requests = ownWork(span).filter((work) => work.kind !== 'timer').map(workText).join(', ');
      text(node, span.x0 + 6, y + 26, fit(requests || works, room, 7), 'frozen-text mono');
    } else if (!pending && room > 50) {
      text(node, span.x0 + 6, top + 22, fit('frozen', room), 'frozen-text');
    }
    if (span.finishedIn) {
      const to = span.finishedIn.x;
      svg('path', { d: `M ${span.x0 + 4} ${y + h} C ${span.x0 + 20} ${top + 66}, ${to - 40} ${top + 66}, ${to - 7} ${top + 54}`, class: 'link' }, g);
    }
  }

  function drawInvocation(g, lane, inv, top, nowX) {
    const x0 = inv.barX0 ?? inv.x0;
    const x1 = inv.x1 ?? Math.max(nowX, x0 + MIN_BAR);
    const failed = inv.outcome && inv.outcome !== 'ok';
    const bad = failed || (inv.status !== undefined && inv.status >= 500);
    const pendingCount = inv.pendingAtFreeze ? inv.pendingAtFreeze.length : 0;
    const line1 = `${inv.requestId} · ${inv.status ?? '…'} · ${inv.durationMs !== undefined ? ms(inv.durationMs) : 'running'}${inv.coldStart ? ' · cold' : ''}`;
    const line2 = `${inv.method} ${inv.path}`;
    const node = item(g, `i-${inv.requestId}`, 'inv', {
      'data-request-id': inv.requestId, 'data-container': lane.id, 'data-status': inv.status, 'data-pending': pendingCount,
      'data-outcome': inv.outcome,
    }, `${line1}, ${line2}${pendingCount ? `, left ${pendingCount} unfinished at freeze` : ''}`, {
      title: `Invocation ${inv.requestId}`,
      rows: [
        ['request', line2], ['status', inv.status], ['outcome', inv.outcome ?? 'running'],
        ['duration', inv.durationMs !== undefined ? ms(inv.durationMs) : undefined],
        ['billed', inv.billedDurationMs !== undefined ? `${inv.billedDurationMs} ms` : undefined],
        ['container', `${lane.id} (${inv.coldStart ? 'cold start' : 'warm'})`],
        ['init duration', inv.initDurationMs !== undefined ? `${ms(inv.initDurationMs)} (module evaluation)` : undefined],
        ['spawn', inv.spawnMs !== undefined ? `${ms(inv.spawnMs)} (worker start + init)` : undefined],
        ['memory used', inv.maxMemoryUsedMb !== undefined ? `${inv.maxMemoryUsedMb} MB` : undefined],
        ['started', time(inv.atMs)],
        ['left at freeze', pendingCount ? inv.pendingAtFreeze.map(workText).join('; ') : inv.outcome ? 'nothing' : undefined],
        ['error', inv.errorMessage],
      ],
      say: pendingCount && inv.frozenSpan ? pendingSentence(inv.frozenSpan) : undefined,
    });
    svg('rect', { x: x0, y: top + 12, width: x1 - x0, height: 40, rx: 4, class: `inv hit ${bad ? 'error' : inv.x1 === undefined ? 'running' : 'ok'}` }, node);
    const w = x1 - x0 - 10;
    text(node, x0 + 6, top + 28, fit(line1, w), 'inv-text');
    text(node, x0 + 6, top + 45, fit(line2, w, 6.9), 'inv-text mono');
    if (pendingCount) {
      const badge = svg('g', { class: 'pending-badge' }, node);
      svg('circle', { cx: x1 - 2, cy: top + 12, r: 9, fill: 'var(--pending)' }, badge);
      text(badge, x1 - 2, top + 16, '!', 'pending-text').setAttribute('text-anchor', 'middle');
    }
    for (const mark of inv.settled) drawSettle(g, lane, inv, mark, top);
  }

  function drawSettle(g, lane, inv, mark, top) {
    const works = mark.finished.map(workText).join(', ');
    const from = [...new Set(mark.finished.map((w) => w.requestId))].join(', ');
    const node = item(g, `s-${inv.requestId}-${mark.x}`, 'settle', {
      'data-inside': inv.requestId, 'data-from': from, 'data-container': lane.id, 'data-finished': mark.finished.length,
    }, `Carried-over work of ${from} finished inside ${inv.requestId}: ${works}`, {
      title: `Carried-over work finished inside ${inv.requestId}`,
      rows: [
        ['finished', works || 'nothing settled in the grace period'],
        ['started by', from],
        ['ran inside', `${inv.requestId} (${inv.method} ${inv.path})`],
        ['still pending', mark.stillPending.length ? mark.stillPending.map(workText).join('; ') : 'none'],
      ],
      say: `This work was started by ${from || 'an earlier request'} and frozen with its container; it resumed only when ${inv.requestId} thawed the container, and finished here, inside ${inv.requestId}.`,
    });
    svg('circle', { cx: mark.x, cy: top + 52, r: 7, class: 'settle-dot hit' }, node);
    text(node, mark.x + 10, top + 69, `✓ ${from}'s work finished here, inside ${inv.requestId}`, 'settle-text');
  }

  function drawCold(g, lane, cold, i, top) {
    const x1 = cold.x1 ?? cold.x0 + COLD_W;
    const node = item(g, `c-${lane.id}-${i}`, 'cold', { 'data-container': lane.id }, `Cold start of ${lane.id}${cold.initDurationMs !== undefined ? `: init ${ms(cold.initDurationMs)}` : ''}`, {
      title: `Cold start of ${lane.id}`,
      rows: [
        ['init duration', cold.initDurationMs !== undefined ? `${ms(cold.initDurationMs)} — module evaluation, as Lambda's REPORT "Init Duration"` : 'initialising'],
        ['spawn', cold.spawnMs !== undefined ? `${ms(cold.spawnMs)} — worker start plus init` : undefined],
        ['when', time(cold.atMs)],
      ],
    });
    svg('rect', { x: cold.x0, y: top + 12, width: x1 - cold.x0 - 2, height: 40, rx: 4, class: 'cold hit' }, node);
    text(node, cold.x0 + 5, top + 28, 'cold start', 'cold-text');
    text(node, cold.x0 + 5, top + 45, fit(cold.initDurationMs !== undefined ? `init ${cold.initDurationMs.toFixed(cold.initDurationMs >= 100 ? 0 : 1)} ms` : 'init…', x1 - cold.x0 - 8, 6.2), 'cold-text');
  }

  function drawEnd(g, lane, end, i, top) {
    const words = endWords[end.reason] || end.reason;
    const lost = end.lostWork.length > 0;
    const node = item(g, `e-${lane.id}-${i}`, 'end', { 'data-reason': end.reason, 'data-container': lane.id, 'data-lost': end.lostWork.length }, `${lane.id} ${words}`, {
      title: `${lane.id}: ${words}`,
      rows: [
        ['when', time(end.atMs)],
        ['during', end.requestId],
        ['error', end.errorMessage],
        ['work lost', lost ? end.lostWork.map((w) => `${workText(w)} (from ${w.requestId})`).join('; ') : 'none'],
        ['after', end.tmpKept ? 'the runtime is reset: the next request cold-starts this container again, /tmp kept' : 'gone for good'],
      ],
      say: lost ? 'Work that was frozen inside this container never ran: the container was stopped while it was frozen.' : undefined,
    });
    svg('line', { x1: end.x, x2: end.x, y1: top + 6, y2: top + LANE_H - 6, class: 'end-line' }, node);
    svg('rect', { x: end.x - 4, y: top + 6, width: 8, height: LANE_H - 12, class: 'hit hit-area' }, node);
    text(node, end.x + 6, top + 20, `■ ${words}${lost ? ' — work lost' : ''}`, `end-text${end.reason === 'reaped' || end.reason === 'shut-down' || end.reason === 'rebuilt' ? '' : ' bad'}`);
  }

  function renderStories(visible) {
    const spans = [];
    for (const fn of visible) for (const lane of fn.lanes.values()) for (const span of lane.frozen) if (span.pending.length) spans.push({ fn, lane, span });
    el.stories.hidden = spans.length === 0;
    el.storyList.replaceChildren();
    for (const { lane, span } of spans.slice(-12)) {
      const li = document.createElement('li');
      li.dataset.leftBy = span.requestId;
      if (span.lost) li.className = 'lost';
      li.textContent = pendingSentence(span);
      const button = document.createElement('button');
      button.type = 'button';
      button.textContent = 'show';
      button.setAttribute('aria-label', `Show the frozen span after ${span.requestId} in ${lane.id}`);
      button.addEventListener('click', () => {
        const target = document.querySelector(`.item.frozen[data-left-by="${CSS.escape(span.requestId)}"]`);
        if (target) {
          target.scrollIntoView({ block: 'center', inline: 'center' });
          target.focus();
        }
      });
      li.append(button);
      el.storyList.append(li);
    }
  }

  function render() {
    renderQueued = false;
    lastRenderMs = performance.now();
    rendering = true;
    try {
      draw();
    } finally {
      rendering = false;
    }
  }

  function draw() {
    const selected = el.filter.value;
    // Keep the filter's options in step with the functions seen.
    const names = [...model.keys()].sort();
    const options = [...el.filter.options].slice(1).map((o) => o.value);
    if (names.join('\n') !== options.join('\n')) {
      el.filter.replaceChildren(new Option('All functions', ''), ...names.map((name) => new Option(name, name)));
      el.filter.value = names.includes(selected) ? selected : '';
    }
    const visible = [...model.values()].filter((fn) => !el.filter.value || fn.name === el.filter.value);
    // Remember which sections were scrolled to their right end (live: keep following the newest).
    const scrolls = new Map();
    for (const section of el.functions.querySelectorAll('section.fn')) {
      const scroll = section.querySelector('.scroll');
      const overflowing = scroll.scrollWidth > scroll.clientWidth + 4;
      scrolls.set(section.dataset.function, { left: scroll.scrollLeft, atEnd: overflowing && scroll.scrollLeft + scroll.clientWidth >= scroll.scrollWidth - 4 });
    }
    const sections = visible.map((fn) => {
      const { section, scroll } = renderFunction(fn);
      return { fn, section, scroll };
    });
    el.functions.replaceChildren(...(sections.length ? sections.map((s) => s.section) : [el.empty]));
    for (const { fn, scroll } of sections) {
      const before = scrolls.get(fn.name);
      // Follow the newest events only once the reader scrolled to them; otherwise keep their place
      // (a new section starts at its beginning, where the story starts).
      scroll.scrollLeft = before?.atEnd ? scroll.scrollWidth : (before?.left ?? 0);
    }
    renderStories(visible);
    if (focusKey) {
      const again = el.functions.querySelector(`[data-key="${CSS.escape(focusKey)}"]`);
      if (again && document.activeElement === document.body) again.focus({ preventScroll: true });
    }
    updateStatus();
  }

  let lastRenderMs = 0;

  function scheduleRender() {
    if (renderQueued) return;
    renderQueued = true;
    const waitMs = MIN_REDRAW_MS - (performance.now() - lastRenderMs);
    if (waitMs <= 0) requestAnimationFrame(render);
    else setTimeout(() => requestAnimationFrame(render), waitMs);
  }

  function updateStatus() {
    const parts = [];
    if (paused) parts.push(`paused${held.length ? ` (${held.length} new event${held.length === 1 ? '' : 's'} waiting)` : ''}`);
    else parts.push(live ? 'live' : 'connecting…');
    if (hello && hello.dropped > 0) parts.push(`${hello.dropped} oldest events dropped (history keeps ${hello.historyLimit})`);
    el.status.textContent = parts.join(' · ');
    el.status.className = `status ${live && !paused ? 'live' : paused ? '' : 'off'}`;
  }

  // ---- controls --------------------------------------------------------------------------------

  el.filter.addEventListener('change', scheduleRender);
  el.pause.addEventListener('click', () => {
    paused = !paused;
    el.pause.textContent = paused ? 'Resume' : 'Pause';
    el.pause.setAttribute('aria-pressed', String(paused));
    if (!paused) {
      for (const event of held.splice(0)) apply(event);
      scheduleRender();
    }
    updateStatus();
  });
  el.clear.addEventListener('click', () => {
    clearedAfter = Math.max(lastSeq, ...held.map((e) => e.seq), clearedAfter);
    held = [];
    model = new Map();
    focusKey = null;
    hideDetails();
    scheduleRender();
  });

  // Left/right arrows move focus between the items of the timeline.
  el.functions.addEventListener('keydown', (event) => {
    if (event.key !== 'ArrowRight' && event.key !== 'ArrowLeft') return;
    // In reading order: lane by lane, left to right within a lane (drawing order differs: spans are
    // drawn under bars).
    const lanes = [...el.functions.querySelectorAll('g.lane')];
    const laneIndex = (item) => lanes.indexOf(item.closest('g.lane'));
    const items = [...el.functions.querySelectorAll('.item')].sort(
      (a, b) => laneIndex(a) - laneIndex(b) || a.getBoundingClientRect().left - b.getBoundingClientRect().left,
    );
    const index = items.indexOf(document.activeElement);
    if (index < 0) return;
    const next = items[index + (event.key === 'ArrowRight' ? 1 : -1)];
    if (next) {
      event.preventDefault();
      next.focus();
      next.scrollIntoView({ block: 'nearest', inline: 'nearest' });
    }
  });

  // ---- stream ----------------------------------------------------------------------------------

  let source;
  function connect() {
    source = new EventSource('/__sim/events');
    source.addEventListener('hello', (message) => {
      const next = JSON.parse(message.data);
      if (hello && hello.serverId !== next.serverId) {
        // The server restarted: its events start again at 1. Start over, from its whole history.
        source.close();
        hello = null;
        model = new Map();
        lastSeq = 0;
        clearedAfter = 0;
        held = [];
        live = false;
        connect();
        return;
      }
      hello = next;
      updateStatus();
    });
    source.addEventListener('live', () => {
      live = true;
      document.body.dataset.live = 'true';
      scheduleRender();
    });
    source.addEventListener('message', (message) => {
      const event = JSON.parse(message.data);
      if (paused) held.push(event);
      else apply(event);
      if (!paused) scheduleRender();
      else updateStatus();
    });
    source.addEventListener('error', () => {
      live = false;
      updateStatus();
    });
  }
  connect();
})();
