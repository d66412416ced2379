// The page's own account of its link: whether it is up, when it was lost and when it came
// back (PC clock times, sent as ages so that a wrong PC clock does not matter).
export function createLink({ stored = {}, store, online = true, now = Date.now }) {
  let isOnline = online;
  let lostAt = typeof stored.linkLostAt === "number" ? stored.linkLostAt : null;
  let backAt = typeof stored.linkBackAt === "number" ? stored.linkBackAt : null;

  function persist() {
    store.update({ linkLostAt: lostAt, linkBackAt: backAt });
  }

  return {
    get online() {
      return isOnline;
    },
    lost() {
      isOnline = false;
      if (lostAt === null) {
        lostAt = now();
        backAt = null;
        persist();
      }
    },
    // the browser says the network is back (no reply yet)
    back() {
      isOnline = true;
      if (lostAt !== null && backAt === null) {
        backAt = now();
        persist();
      }
    },
    // a reply came: the link works; the account of its outage went with that request
    works() {
      isOnline = true;
      if (lostAt !== null) {
        lostAt = null;
        backAt = null;
        persist();
      }
    },
    // the fields a save or a hand-in carries while an outage is on record
    account() {
      if (lostAt === null) {
        return {};
      }
      const at = now();
      return { offline_ms: Math.max(0, at - lostAt), online_ms: backAt !== null ? Math.max(0, at - backAt) : 0 };
    },
  };
}
