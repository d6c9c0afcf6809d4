use super::*;
use crate::version::testing;

#[test]
fn build_metadata_orders() {
    testing::assert_increasing_pairwise::<Version>(&[
        "1.0.0-pre",
        "1.0.0-pre+build",
        "1.0.0",
        "1.0.0+0",
        "1.0.0+1",
        "1.0.0+1.a",
        "1.0.0+2",
        "1.0.0+10",
        "1.0.0+A",
        "1.0.0+a",
        "1.0.0+build",
        "1.0.0+build.1",
        "1.0.1",
    ]);
    testing::assert_increasing::<Version>(&["1.2.3+1", "1.2.3+2"]);
    testing::assert_equal::<Version>("1.0.0+01", "1.0.0+1");
    testing::assert_equal::<Version>("v1.0+1", "1.0.0+1");
}

#[test]
fn native_vectors() {
    assert!(testing::check_native_vectors::<Version>("pub", &[]) > 2500);
}

fn version_string() -> impl proptest::strategy::Strategy<Value = String> {
    proptest::string::string_regex("[0-2]\\.[0-2]\\.[0-2](-(a|b|0|1)(\\.(a|1))?)?(\\+(0|1|01|a|b)(\\.(a|1))?)?")
        .expect("valid regex")
}

testing::order_properties!(Version, version_string());
