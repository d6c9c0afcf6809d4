//! Language packages installed in images: one module per ecosystem's on-disk metadata.
