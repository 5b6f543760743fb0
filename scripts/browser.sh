# Installs Debian's Chromium for the browser tests when it is missing and we may (root + apt-get).
if ! command -v chromium >/dev/null 2>&1; then
  if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
    echo "browser: installing Debian's chromium for the browser tests"
    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null) \
      || echo "browser: could not install chromium"
  else
    echo "browser: no chromium and no way to install it; browser tests will be skipped (or fail under CI)"
  fi
fi
