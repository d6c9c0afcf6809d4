//! Operating-system package databases: one module per format.
