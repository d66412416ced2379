// Which tab this page lives in: a reload keeps its id, another tab or PC has its own.
const TAB_KEY = "examapp.tab";
const LEAVING_KEY = "examapp.tab-leaving";

function newTabId(crypto) {
  let bytes = [];
  if (crypto && crypto.getRandomValues) {
    bytes = Array.prototype.slice.call(crypto.getRandomValues(new Uint8Array(16)));
  } else {
    for (let i = 0; i < 16; i += 1) {
      bytes.push(Math.floor(Math.random() * 256));
    }
  }
  return bytes.map((b) => (b < 16 ? "0" : "") + b.toString(16)).join("");
}

export function tabId(storage, crypto) {
  let id = null;
  try {
    id = storage.getItem(TAB_KEY);
    // A duplicated tab starts with a copy of its original's storage while the original is
    // still open (not leaving): it is another tab and takes an id of its own.
    if (id && !storage.getItem(LEAVING_KEY)) {
      id = null;
    }
    if (!id) {
      id = newTabId(crypto);
      storage.setItem(TAB_KEY, id);
    }
    storage.removeItem(LEAVING_KEY);
  } catch (e) {
    id = id || newTabId(crypto);
  }
  return id;
}

// a reload or a navigation keeps the id: say so before the page goes, forget it if it stays
export function watchLeaving(win) {
  const mark = () => {
    try {
      win.sessionStorage.setItem(LEAVING_KEY, "1");
    } catch (e) {
      // nothing to keep
    }
  };
  win.addEventListener("beforeunload", mark);
  win.addEventListener("pagehide", mark);
  win.addEventListener("pageshow", () => {
    try {
      win.sessionStorage.removeItem(LEAVING_KEY);
    } catch (e) {
      // nothing kept
    }
  });
}
