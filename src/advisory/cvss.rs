//! CVSS base scores. Not yet written.
