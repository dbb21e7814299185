# SPDX-License-Identifier: Apache-2.0
# The plots of docs/bench.md from the data tests/bench/compare.sh writes.
# Usage: gnuplot -e "dir='docs'" tests/bench/plot.gp
if (!exists("dir")) dir = "docs"
set terminal pngcairo size 640,400 font "sans,10" noenhanced
set grid ytics
set key top left
set style data histogram
set style histogram errorbars gap 2 lw 1
set style fill solid 0.7 border -1
set boxwidth 0.9

set output dir."/bench-apdu.png"
set title "APDU round trip through pcscd (median, 10th-90th percentile)"
set ylabel "ms per APDU"
set yrange [0:*]
plot dir."/bench-apdu.dat" using 2:3:4:xtic(1) title "vtokend (PIV GET DATA)", \
     "" using 5:6:7 title "a card answering 90 00 at once"

set output dir."/bench-latency.png"
set title "Removal and insertion seen by SCardGetStatusChange (median, min-max)"
set ylabel "ms (log scale)"
set logscale y
set yrange [0.01:2000]
plot dir."/bench-latency.dat" using 2:5:6:xtic(1) title "vtoken ctl remove", \
     "" using 7:10:11 title "vtoken ctl insert"
unset logscale y
