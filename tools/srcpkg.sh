# Fetch a Debian source package's orig tarball and check it against the
# signed Sources index (apt-cache showsrc). Sourced by tools/qemu/build.sh
# and tools/boardtrees.sh, which define log() and die(). Needs the deb-src
# entries tools/deps.sh derives from the machine's apt configuration.

# upstream_version 1:10.0.13+ds-0+deb13u1 -> 10.0.13+ds
upstream_version() {
	local v=${1#*:}
	echo "${v%-*}"
}

# find_orig PKG VERSION: name of PKG's orig tarball in the current directory
find_orig() {
	local f
	for f in "${1}_$(upstream_version "$2").orig.tar."*; do
		case $f in *.asc) continue ;; esac
		[ -f "$f" ] && echo "$f" && return 0
	done
	return 1
}

# orig_sha256 PKG VERSION FILE: FILE's sha256 in the signed Sources index.
orig_sha256() {
	# apt-cache showsrc takes no version: pick the stanza of ours.
	apt-cache showsrc "$1" 2>/dev/null | awk -v v="$2" -v f="$3" '
		BEGIN { RS = ""; FS = "\n" }
		{
			ok = 0
			for (i = 1; i <= NF; i++)
				if ($i == "Version: " v)
					ok = 1
			if (!ok)
				next
			for (i = 1; i <= NF; i++) {
				if ($i ~ /^[^ ]/)
					sect = $i
				n = split($i, w, " ")
				if (sect == "Checksums-Sha256:" && n == 3 && w[3] == f) {
					print w[1]
					exit
				}
			}
		}'
}

# orig_ok PKG VERSION FILE: FILE matches the index (says so on stderr).
orig_ok() {
	local want got
	want=$(orig_sha256 "$@")
	[ -n "$want" ] || die "no Checksums-Sha256 entry for $3 in apt-cache showsrc $1"
	got=$(sha256sum "$3" | cut -d' ' -f1)
	if [ "$got" != "$want" ]; then
		log "$3: sha256 $got, expected $want" >&2
		return 1
	fi
	log "verified $3 (sha256 $got)" >&2
}

# fetch_orig PKG VERSION [SHARED_DIR]: PKG's orig tarball in the current
# directory, checked against the signed Sources index; prints its name.
# With SHARED_DIR (tools/libfdt.sh's cache), a good copy there is used
# instead of a download, and a downloaded one is left there.
fetch_orig() {
	local pkg=$1 ver=$2 shared=${3:-} orig
	if [ -n "$shared" ] && orig=$(cd "$shared" 2>/dev/null && find_orig "$pkg" "$ver"); then
		cp "$shared/$orig" .
		if orig_ok "$pkg" "$ver" "$orig"; then
			log "using $shared/$orig" >&2
			echo "$orig"
			return 0
		fi
		log "discarding $shared/$orig" >&2
		rm -f "$orig" "$shared/$orig"
	fi
	if ! orig=$(find_orig "$pkg" "$ver"); then
		# apt-get exits non-zero when some file of the source set is
		# missing; only the orig tarball is needed.
		apt-get source -qq --download-only "$pkg=$ver" >"fetch-$pkg.log" 2>&1 ||
			log "apt-get source $pkg=$ver exited non-zero; looking for the orig tarball" >&2
		orig=$(find_orig "$pkg" "$ver") ||
			{ cat "fetch-$pkg.log" >&2; die "orig tarball of $pkg=$ver was not downloaded"; }
	fi
	orig_ok "$pkg" "$ver" "$orig" || die "$orig does not match the index"
	if [ -n "$shared" ] && [ ! -f "$shared/$orig" ]; then
		mkdir -p "$shared" && cp "$orig" "$shared/.$orig.tmp" &&
			mv "$shared/.$orig.tmp" "$shared/$orig"
	fi
	echo "$orig"
}

