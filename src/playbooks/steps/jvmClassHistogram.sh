# part of: prelude.sh jcmd.sh
# The class histogram, its first lines shown (the whole one is long).
jcmd GC.class_histogram >histogram; status=$?
head -n 30 histogram
[ "$status" -eq 0 ]
