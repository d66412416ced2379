// The attempt's record in the browser's storage, kept across reloads and crashes: the queued
// answers, the events not yet reported and the account of the link. Each module that owns a
// part writes that part; the record is written whole.
export function createStore(storage, key) {
  let record = {};
  try {
    record = JSON.parse(storage.getItem(key)) || {};
  } catch (e) {
    record = {};
  }
  let frozen = false;

  return {
    // what the last page left, as stored (each owner checks its own part)
    stored: record,
    update(fields) {
      if (frozen) {
        return; // another page holds the attempt (and may share this storage)
      }
      record = Object.assign({}, record, fields);
      try {
        storage.setItem(key, JSON.stringify(record));
      } catch (e) {
        // storage full or disabled: answers still go straight to the server
      }
    },
    freeze() {
      frozen = true;
    },
    clear() {
      try {
        storage.removeItem(key);
      } catch (e) {
        // nothing kept
      }
    },
  };
}
