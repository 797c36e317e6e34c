# Sourced by ./batch and .ci/run: the dashboard's browser tests drive Debian's chromium package (Playwright's own
# browser builds cannot be downloaded on this project's machines). Installs it with apt-get when missing; root only.

batch_chromium() {
  if [ -x /usr/bin/chromium ]; then
    return 0
  fi
  echo "chromium is not installed: installing Debian's chromium package for the dashboard's browser tests" >&2
  if [ "$(id -u)" != 0 ]; then
    echo "run as root, or install it yourself: sudo apt-get install -y chromium" >&2
    return 1
  fi
  DEBIAN_FRONTEND=noninteractive apt-get update -qq >&2
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >&2
}
