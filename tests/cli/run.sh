#!/bin/sh
# run.sh: runs the cases of one data-driven CLI test file against a lathe binary.
#
#   sh cli/run.sh cli/describe.test /path/to/lathe      (from tests/, as CTest does)
#
# A .test file is a list of cases, each opened by its "# name" line:
#
#   # describe counts rows
#   args: describe data/cli/tiny.csv --json
#   stdin: data/cli/tiny.csv         optional; /dev/null otherwise
#   exit: 0
#   stdout-has: "n_rows": 3
#   stdout-lacks: "warnings": [{
#   stderr-has: some text
#   stderr-lacks: some text
#
# `args` is split like a shell command line, so quotes group words; the one
# thing expanded is @WORK@, a scratch folder shared by the cases of a file
# (so one case can train a model and the next predict with it); `stdin` may
# name a file there too. Every -has/-lacks line is a fixed string (not a pattern)
# searched for in the whole output, after exactly one space following the
# colon. Blank lines are ignored. Prints one line per case, the output of
# failed ones, and a last line "N passed, N failed"; exits 1 if any failed.
set -u

if [ $# -ne 2 ]; then
    echo "usage: sh run.sh FILE.test LATHE" >&2
    exit 2
fi
test_file=$1
lathe=$2
work=$(mktemp -d "${TMPDIR:-/tmp}/lathe-cli.XXXXXX") || exit 2
trap 'rm -rf "$work"' EXIT
mkdir "$work/files" || exit 2
trap 'exit 2' INT TERM

passed=0
failed=0
name=""
args=""
stdin=/dev/null
expect_exit=""
: >"$work/checks"

# Appends a reason to the current case's list of failures.
reason() {
    printf '    %s\n' "$1" >>"$work/reasons"
}

# Checks one "kind: text" line against the captured output.
check_line() {
    kind=$1
    text=$2
    case $kind in
    stdout-has) grep -qF -- "$text" "$work/stdout" || reason "stdout lacks: $text" ;;
    stdout-lacks) ! grep -qF -- "$text" "$work/stdout" || reason "stdout has: $text" ;;
    stderr-has) grep -qF -- "$text" "$work/stderr" || reason "stderr lacks: $text" ;;
    stderr-lacks) ! grep -qF -- "$text" "$work/stderr" || reason "stderr has: $text" ;;
    esac
}

show_output() {
    for stream in stdout stderr; do
        if [ -s "$work/$stream" ]; then
            echo "    --- $stream"
            head -n 40 "$work/$stream" | sed 's/^/    | /'
        fi
    done
}

# Runs lathe with the words of $1, split as a shell would; returns its exit status.
run_lathe() {
    eval "set -- $(printf '%s' "$1" | sed "s|@WORK@|$work/files|g")"
    "$lathe" "$@" <"$(printf '%s' "$stdin" | sed "s|@WORK@|$work/files|g")" \
        >"$work/stdout" 2>"$work/stderr"
}

run_case() {
    [ -n "$name" ] || return 0
    : >"$work/reasons"
    run_lathe "$args"
    code=$?
    if [ -z "$expect_exit" ]; then
        reason "the case has no 'exit:' line"
    elif [ "$code" != "$expect_exit" ]; then
        reason "exit status $code, expected $expect_exit"
    fi
    while IFS= read -r check; do
        check_line "${check%%:*}" "${check#*: }"
    done <"$work/checks"
    if [ -s "$work/reasons" ]; then
        failed=$((failed + 1))
        echo "FAIL $name"
        echo "    lathe $args"
        cat "$work/reasons"
        show_output
    else
        passed=$((passed + 1))
        echo "ok   $name"
    fi
    name=""
    args=""
    stdin=/dev/null
    expect_exit=""
    : >"$work/checks"
}

line_number=0
while IFS= read -r line || [ -n "$line" ]; do
    line_number=$((line_number + 1))
    case $line in
    '') ;;
    '#'*)
        header=$line
        run_case
        name=${header#\#}
        name=${name# }
        ;;
    'args: '*) args=${line#args: } ;;
    'stdin: '*) stdin=${line#stdin: } ;;
    'exit: '*) expect_exit=${line#exit: } ;;
    stdout-has:* | stdout-lacks:* | stderr-has:* | stderr-lacks:*)
        printf '%s\n' "$line" >>"$work/checks"
        ;;
    *)
        echo "$test_file:$line_number: not a test line: $line" >&2
        exit 2
        ;;
    esac
done <"$test_file"
run_case

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
