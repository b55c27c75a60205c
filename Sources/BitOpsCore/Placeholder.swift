// BitOpsCore module.
