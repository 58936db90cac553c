# The absolute .go file names in the binary of PID $1 (Go's file table holds them as NUL-ended strings), once
# each: sh -c "$script" go-sources PID. Read-only; nothing of the binary is run.
LC_ALL=C tr -c ' -~' '\n' < "/proc/$1/exe" | grep '^/.*\.go$' | sort -u
