# Sourced by release/build.sh and release/image.sh: the release's time, for every
# timestamp they write (reproducible builds): SOURCE_DATE_EPOCH when set, else the last
# commit's time. Sets `epoch` (seconds since 1970); calls the caller's `die` when neither
# gives a number.
if [ -n "${SOURCE_DATE_EPOCH:-}" ]; then
  epoch=$SOURCE_DATE_EPOCH
else
  epoch=$(git -C "$root" log -1 --format=%ct 2>/dev/null) ||
    die "not a git checkout: set SOURCE_DATE_EPOCH to the release's time (seconds since 1970)"
fi
case $epoch in
  '' | *[!0-9]*) die "SOURCE_DATE_EPOCH must be seconds since 1970, not \"$epoch\"" ;;
esac
