"""Unit readiness: who has practised, mock scores, and a forecast of each unit's exam average."""
