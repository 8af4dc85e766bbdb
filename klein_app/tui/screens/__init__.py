"""The screens of the TUI, one per module; `KleinApp.MODES` wires them to F2-F5."""
