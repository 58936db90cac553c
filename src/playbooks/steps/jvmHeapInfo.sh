# part of: prelude.sh jcmd.sh
jcmd GC.heap_info
