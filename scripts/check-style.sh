#!/bin/sh
# Style gate: the banned-function list of STYLE.md over src/ and tests/unit/, and clang-format
# conformance of src/ (clang-format is required: a missing formatter is a failure, not a pass).
# Exits non-zero on any finding.
set -eu
cd "$(dirname "$0")/.."
status=0
banned='\b(atoi|atol|atoll|strtol|strtoll|strtoul|sprintf|vsprintf|strcpy|strcat|strtok|gmtime|localtime|gets)[[:space:]]*\('
if grep -rnE "$banned" src tests/unit --include='*.c' --include='*.h'; then
    echo "check-style: banned functions above (use str_to_i64, snprintf, memcpy, *_r variants)" >&2
    status=1
fi
if ! command -v clang-format >/dev/null 2>&1; then
    echo "check-style: clang-format is not installed (scripts/install-deps.sh test)" >&2
    status=1
else
    files=$(find src -name '*.c' -o -name '*.h')
    if ! clang-format --dry-run --Werror $files >/dev/null 2>&1; then
        clang-format --dry-run $files 2>&1 | grep -E '^src/.*warning' | cut -d: -f1 | sort -u >&2
        echo "check-style: the files above differ from .clang-format (run clang-format -i)" >&2
        status=1
    fi
fi
exit $status
