#!/bin/sh
# A shell-driven test suite in the style of a project's own tests: the host shell runs one busybox
# applet per step through a wrapper ($RUN: empty for native, "qemu-x86_64", or sysgate's
# `node .../main.js run -q`) and checks its output. What it measures is what such a suite pays
# per program start: loading, the kernel's boot, the program's start-up and a little work.
#   RUN="..." BB=/path/to/busybox sh suite.sh [ROUNDS]   (run in an empty scratch directory)
# Prints "N steps, N failed" and exits 1 if any step failed.
set -u
ROUNDS=${1:-2}
steps=0
failed=0
step() { # step NAME EXPECTED COMMAND...: the command's stdout must equal EXPECTED
  name=$1 want=$2
  shift 2
  got=$("$@" 2>&1)
  steps=$((steps + 1))
  if [ "$got" != "$want" ]; then
    failed=$((failed + 1))
    echo "FAIL $name: got '$got', want '$want'" >&2
  fi
}
b() { $RUN "$BB" "$@"; }

printf 'pear\napple\nfig\n' > words.txt
i=1; : > num.txt
while [ $i -le 200 ]; do echo $i >> num.txt; i=$((i + 1)); done

r=0
while [ $r -lt "$ROUNDS" ]; do
  step echo      "hi"                     b echo hi
  step true      ""                       b true
  step cat       "$(cat words.txt)"       b cat words.txt
  step sort      "apple
fig
pear"                                     b sort words.txt
  step wc        "200 num.txt"            b wc -l num.txt
  step head      "1
2"                                        b head -n 2 num.txt
  step tail      "200"                    b tail -n 1 num.txt
  step grep      "110"                    b grep -c -E '^1.*[0-9]$' num.txt
  step sed       "APPLE"                  b sed -n 's/apple/APPLE/p' words.txt
  step awk       "20100"                  b awk '{s+=$1} END {print s}' num.txt
  step tr        "PEAR"                   b sh -c 'echo pear | tr a-z A-Z'
  step cut       "pe
ap
fi"                                       b cut -c1-2 words.txt
  step expr      "42"                     b expr 6 \* 7
  step printf    "00042|ff"               b printf '%05d|%x\n' 42 255
  step seq       "1 2 3"                  b sh -c 'echo $(seq 1 3)'
  step basename  "c"                      b basename /a/b/c
  step sha256    "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad  -" \
                                          b sh -c 'printf abc | sha256sum'
  step md5       "900150983cd24fb0d6963f7d28e17f72  -" b sh -c 'printf abc | md5sum'
  step sh-loop   "5050"                   b sh -c 'i=0; s=0; while [ $i -lt 100 ]; do i=$((i+1)); s=$((s+i)); done; echo $s'
  step ls        "num.txt
words.txt"                                b ls
  r=$((r + 1))
done
echo "$steps steps, $failed failed"
[ "$failed" -eq 0 ]
