# Multithreaded compressors and sort on a 50 MiB input (issue 9), run natively and under
# picolx by tests/e2e/threads/meson.build: each output's checksum, and each round trip
# back to the input. The input is made here, the same on both sides (pigz -n: no name or
# time in the header, which differ by side).
set -e
seq 1 1862000 | awk '{ printf "%07d payload %d %s\n", ($1 * 7919) % 1000003, $1, ($1 % 3 ? "abc" : "xyzzy") }' \
  > in.txt
echo "input: $(wc -c < in.txt) bytes, $(wc -l < in.txt) lines"
zstd -T2 -q -c in.txt > in.zst
echo "zstd -T2: $(cksum < in.zst)"
echo "zstd -d: $(zstd -d -q -c in.zst | cksum)"
xz -T2 -1 -c in.txt > in.xz
echo "xz -T2: $(cksum < in.xz)"
echo "xz -d -T2: $(xz -d -T2 -c in.xz | cksum)"
pigz -n -p 2 -c in.txt > in.gz
echo "pigz -n -p 2: $(cksum < in.gz)"
echo "pigz -d: $(pigz -d -p 2 -c in.gz | cksum)"
# a buffer that holds the input sorts with two threads; a 10M one merges temporary files
sort --parallel=2 -S 100M in.txt > sorted.txt
echo "sort --parallel=2 -S 100M: $(cksum < sorted.txt)"
echo "sort -n -k3 --parallel=2 -S 10M: $(sort -n -k3 --parallel=2 -S 10M -T . sorted.txt | cksum)"
echo "left behind: $(ls | sort | tr '\n' ' ')"
