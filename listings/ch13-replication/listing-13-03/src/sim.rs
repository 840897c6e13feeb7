//! The seeded simulation: not written yet (left for the next session).
