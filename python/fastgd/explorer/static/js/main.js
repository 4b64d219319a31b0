// The explorer page: three views in tabs, each set up once.

import * as oneD from "./view1d.js";
import * as twoD from "./view2d.js";
import * as regression from "./regression.js";

const tabs = [...document.querySelectorAll("nav [role=tab]")];
const started = new Map();
const makers = { "view-1d": oneD.setup, "view-2d": twoD.setup, "view-regression": regression.setup };

function show(viewId) {
  for (const tab of tabs) {
    const selected = tab.dataset.view === viewId;
    tab.setAttribute("aria-selected", String(selected));
    document.getElementById(tab.dataset.view).hidden = !selected;
  }
  // a view is set up when first shown, so its canvases have their real size
  if (!started.has(viewId)) {
    const view = makers[viewId]();
    started.set(viewId, view);
    view.load();
  }
  window.dispatchEvent(new Event("resize"));
}

for (const tab of tabs) tab.addEventListener("click", () => show(tab.dataset.view));
show("view-1d");
