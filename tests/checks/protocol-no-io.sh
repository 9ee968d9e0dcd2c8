#!/usr/bin/env bash
# protocol/ is sans-I/O: no call to any I/O, logging, process or exit
# function, and no header that declares only such functions.  <stdio.h> is
# allowed for snprintf and vsnprintf, which format into memory; its I/O
# calls are in the list below.  Fails listing the offenders.
set -u
cd "$(dirname "$0")/../.." || exit 2

# Function calls: identifier followed by "(" (after stripping comments).
calls='(printf|fprintf|vfprintf|dprintf|puts|fputs|putchar|fputc|putc|perror|fopen|fdopen|freopen|fclose|fread|fwrite|fgets|fgetc|getc|getchar|fflush|fseek|ftell|open|openat|creat|close|read|write|pread|pwrite|readv|writev|send|sendto|sendmsg|recv|recvfrom|recvmsg|socket|connect|bind|listen|accept|accept4|poll|select|epoll_wait|ioctl|fcntl|stat|fstat|lstat|unlink|mkdir|opendir|readdir|syslog|openlog|vsyslog|err|errx|warn|warnx|exit|_exit|_Exit|abort|quick_exit|atexit|fork|execv|execve|execvp|execl|system|popen|kill|raise|signal|sigaction|sleep|usleep|nanosleep|time|gettimeofday|clock_gettime|getenv|setenv|rand|random|srand|RAND_bytes|getrandom|lwsl_[a-z]+|lws_[a-z_]+|curl_[a-z_]+|BIO_[a-z_]+)'
headers='<(unistd|fcntl|syslog|err|signal|time|sys/socket|sys/stat|poll|dirent|libwebsockets|curl/curl)\.h>'

bad=0
for f in protocol/*.c protocol/*.h; do
	# Drop /* */ comments and string literals before matching.
	text=$(perl -0777 -pe 's{/\*.*?\*/}{}gs; s{"(\\.|[^"\\])*"}{""}g' "$f")
	if echo "$text" | grep -nE "(^|[^A-Za-z0-9_.>])$calls[[:space:]]*\(" ; then
		echo "$f: calls an I/O, logging or exit function (above)"
		bad=1
	fi
	if echo "$text" | grep -nE "#[[:space:]]*include[[:space:]]*$headers"; then
		echo "$f: includes an I/O header (above)"
		bad=1
	fi
done

# The check must be able to fail: a planted call is caught.
probe='static void f(void) { fprintf(stderr, "x"); exit(1); }'
echo "$probe" | grep -qE "(^|[^A-Za-z0-9_.>])$calls[[:space:]]*\(" || {
	echo "self-test: the pattern missed a planted fprintf"; bad=1; }

n=$(ls protocol/*.c protocol/*.h | wc -l)
[ $bad -eq 0 ] && echo "#> $n files in protocol/ free of I/O, logging and exit calls"
exit $bad
