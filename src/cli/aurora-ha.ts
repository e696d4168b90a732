// CLI entry (filled in by the emulator work).
