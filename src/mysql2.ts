// Entry point (filled in by the core work).
export {};
