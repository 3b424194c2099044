"use strict";
var svg, details, unzoombtn, searchbtn, icbtn, matchedtxt, frames = [];
var ignorecase = false, searchterm = null, zoomed = null;

function init(evt) {
	svg = document.documentElement;
	details = document.getElementById("details").firstChild;
	unzoombtn = document.getElementById("unzoom");
	searchbtn = document.getElementById("search");
	icbtn = document.getElementById("ignorecase");
	matchedtxt = document.getElementById("matched");
	var gs = document.getElementById("frames").children;
	for (var i = 0; i < gs.length; i++) {
		var g = gs[i];
		frames.push({
			g: g,
			x: parseFloat(g.getAttribute("data-x")),
			w: parseFloat(g.getAttribute("data-w")),
			d: parseInt(g.getAttribute("data-d"), 10),
			rect: g.querySelector("rect"),
			text: g.querySelector("text"),
			info: g.querySelector("title").textContent
		});
	}
	frames.forEach(function (f) {
		f.name = frameName(f);
		f.fill = f.rect.getAttribute("fill");
		f.g.addEventListener("click", function (e) { zoom(f.g); e.stopPropagation(); });
		f.g.addEventListener("mouseover", function () { details.nodeValue = "Function: " + f.info; });
		f.g.addEventListener("mouseout", function () { details.nodeValue = " "; });
	});
	unzoombtn.addEventListener("click", function () { unzoom(); });
	searchbtn.addEventListener("click", function () {
		if (searchterm === null) { searchPrompt(); } else { resetSearch(); }
	});
	icbtn.addEventListener("click", function () { toggleIgnorecase(); });
	window.addEventListener("keydown", function (e) {
		if ((e.ctrlKey || e.metaKey) && e.key === "f") { e.preventDefault(); searchPrompt(); }
		else if (e.key === "Escape") { resetSearch(); }
	});
	restoreState();
	showRoot();
}

// showRoot scrolls a flame graph taller than the window to its bottom, so
// that the first screen shows the root and the widest frames, not the
// thin tops of the deepest stacks.
function showRoot() {
	if (cfg.inverted || !frames.length || !window.scrollTo) return;
	var r = frames[0].rect.getBoundingClientRect();
	if (r.bottom > window.innerHeight) window.scrollTo(0, svg.getBoundingClientRect().height);
}

// The name of a frame is the start of its tooltip; data-l is its length.
function frameName(f) {
	if (f.d === 0) return "all";
	return f.info.substring(0, parseInt(f.g.getAttribute("data-l"), 10));
}

function fitText(name, px) {
	var chars = Math.floor(px / (cfg.fontsize * cfg.fontwidth));
	if (chars < 3) return "";
	if (chars >= name.length) return name;
	return name.substring(0, chars - 2) + "..";
}

function place(f, x, w) {
	f.rect.setAttribute("x", x.toFixed(2));
	f.rect.setAttribute("width", Math.max(0, w).toFixed(2));
	f.text.setAttribute("x", (x + 3).toFixed(2));
	f.text.textContent = f.d === 0 ? fitText("all", w) : fitText(f.name, w);
}

function findFrame(x, d) {
	for (var i = 0; i < frames.length; i++) {
		if (frames[i].d === d && Math.abs(frames[i].x - x) <= 1e-9 * Math.max(1, cfg.total)) return frames[i];
	}
	return null;
}

function frameOf(g) {
	for (var i = 0; i < frames.length; i++) if (frames[i].g === g) return frames[i];
	return null;
}

// zoom makes frame g (an element or a frame) span the full width.
function zoom(g) {
	var z = g && g.g ? g : frameOf(g);
	if (!z) return;
	if (z.d === 0) { unzoom(); return; }
	zoomed = z;
	var eps = 1e-9 * Math.max(1, cfg.total);
	var full = cfg.width - 2 * cfg.xpad;
	var scale = full / z.w;
	frames.forEach(function (f) {
		f.g.classList.remove("hide");
		f.g.classList.remove("parent");
		if (f.d < z.d) {
			if (f.x <= z.x + eps && f.x + f.w >= z.x + z.w - eps) {
				f.g.classList.add("parent");
				place(f, cfg.xpad, full);
			} else {
				f.g.classList.add("hide");
			}
		} else if (f.x >= z.x - eps && f.x + f.w <= z.x + z.w + eps) {
			place(f, cfg.xpad + (f.x - z.x) * scale, f.w * scale);
		} else {
			f.g.classList.add("hide");
		}
	});
	unzoombtn.classList.remove("hide");
	if (searchterm !== null) search(searchterm);
	saveState();
}

function unzoom() {
	zoomed = null;
	var scale = cfg.total > 0 ? (cfg.width - 2 * cfg.xpad) / cfg.total : 0;
	frames.forEach(function (f) {
		f.g.classList.remove("hide");
		f.g.classList.remove("parent");
		place(f, cfg.xpad + f.x * scale, f.w * scale);
	});
	unzoombtn.classList.add("hide");
	if (searchterm !== null) search(searchterm);
	saveState();
}

function searchPrompt() {
	var term = prompt("Search for (regular expression):" + (ignorecase ? " (ignoring case)" : ""), searchterm === null ? "" : searchterm);
	if (term !== null && term !== "") search(term);
}

function toggleIgnorecase() {
	ignorecase = !ignorecase;
	icbtn.classList.toggle("show", ignorecase);
	if (searchterm !== null) search(searchterm);
	saveState();
}

// search highlights the frames whose name matches the regular expression
// term and shows the share of the total weight they cover.
function search(term) {
	var re;
	try { re = new RegExp(term, ignorecase ? "i" : ""); } catch (e) { matchedtxt.textContent = "bad regex: " + e.message; return -1; }
	searchterm = term;
	var matches = [];
	frames.forEach(function (f) {
		if (f.d > 0 && re.test(f.name)) {
			f.rect.setAttribute("fill", cfg.searchcolor);
			matches.push(f);
		} else {
			f.rect.setAttribute("fill", f.fill);
		}
	});
	// Count nested matches once: frames sorted by x, skip those inside the
	// last counted one.
	matches.sort(function (a, b) { return a.x - b.x || a.d - b.d; });
	var count = 0, lastEnd = -Infinity;
	matches.forEach(function (f) {
		if (f.x >= lastEnd - 1e-9 * Math.max(1, cfg.total)) { count += f.w; lastEnd = f.x + f.w; }
	});
	var pct = cfg.total > 0 ? 100 * count / cfg.total : 0;
	var txt = pct === 100 ? "100" : pct.toFixed(1);
	matchedtxt.textContent = "Matched: " + txt + "%";
	searchbtn.classList.add("show");
	searchbtn.textContent = "Reset Search";
	saveState();
	return pct;
}

function resetSearch() {
	searchterm = null;
	frames.forEach(function (f) { f.rect.setAttribute("fill", f.fill); });
	matchedtxt.textContent = " ";
	searchbtn.classList.remove("show");
	searchbtn.textContent = "Search";
	saveState();
}

// The state (zoomed frame, search, case) lives in the URL query.
function saveState() {
	var params = [];
	if (zoomed) params.push("x=" + zoomed.x, "y=" + zoomed.d);
	if (searchterm !== null) params.push("s=" + encodeURIComponent(searchterm));
	if (ignorecase) params.push("i=1");
	var url = location.href.split("?")[0].split("#")[0];
	if (params.length) url += "?" + params.join("&");
	try { history.replaceState(null, "", url); } catch (e) { /* file: URLs may refuse */ }
}

function restoreState() {
	var q = location.search.substring(1).split("&"), p = {};
	q.forEach(function (kv) {
		var i = kv.indexOf("=");
		if (i > 0) p[kv.substring(0, i)] = decodeURIComponent(kv.substring(i + 1).replace(/\+/g, " "));
	});
	if (p.i === "1") { ignorecase = true; icbtn.classList.add("show"); }
	if (p.x !== undefined && p.y !== undefined) {
		var f = findFrame(parseFloat(p.x), parseInt(p.y, 10));
		if (f) zoom(f);
	}
	if (p.s) search(p.s);
}
