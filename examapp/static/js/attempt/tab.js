// Which tab this page lives in: a reload keeps its id, another tab or PC has its own. And which
// browser: the device id, kept in localStorage, is shared by every tab of one browser profile;
// another browser on the same PC has its own (the integrity analysis tells devices apart by it).
const TAB_KEY = "examapp.tab";
const LEAVING_KEY = "examapp.tab-leaving";
const DEVICE_KEY = "examapp.device";
const DEVICE_PATTERN = /^[0-9a-f]{32}$/;

// the device id of a browser whose storage refuses it (private mode, full, disabled): this
// page's own, kept while it lives
let deviceInMemory = null;

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

// storage: the browser's localStorage (or null when it is refused); made on first use, kept after
export function deviceId(storage, crypto) {
  try {
    const stored = storage.getItem(DEVICE_KEY);
    if (stored && DEVICE_PATTERN.test(stored)) {
      return stored;
    }
    const id = deviceInMemory || newTabId(crypto);
    storage.setItem(DEVICE_KEY, id);
    deviceInMemory = id;
    return id;
  } catch (e) {
    deviceInMemory = deviceInMemory || newTabId(crypto);
    return deviceInMemory;
  }
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
