# SPDX-License-Identifier: Apache-2.0
# shellcheck shell=bash
# GnuPG against a card inside `vtoken run` (sourced after lib.sh): a private GNUPGHOME whose
# scdaemon talks to PC/SC (disable-ccid; pcsc-shared, as scdaemon otherwise takes the reader for
# itself; the distribution's libpcsclite), and a pinentry that answers from files, so no
# terminal is needed:
#   $T/pins/pin, admin, new-pin, new-admin, reset-code, passphrase   the answers; prompts are
#   logged in
#   $T/pins/log
# gpg_home DIR: makes DIR a GNUPGHOME set up this way and exports GNUPGHOME.
gpg_home() {
  local dir=$1 lib
  lib=$(ldconfig -p | sed -n 's/.*libpcsclite\.so\.1 (libc6,x86-64) => //p' | head -n1)
  [ -n "$lib" ] || lib=/usr/lib/x86_64-linux-gnu/libpcsclite.so.1
  mkdir -p -m 700 "$dir" "$T/pins"
  printf 'disable-ccid\npcsc-shared\npcsc-driver %s\n' "$lib" >"$dir/scdaemon.conf"
  printf 'pinentry-program %s\nenable-ssh-support\n' "$T/pinentry" >"$dir/gpg-agent.conf"
  printf 'no-greeting\n' >"$dir/gpg.conf"
  cat >"$T/pinentry" <<PIN
#!/bin/bash
# Assuan: OK to everything; GETPIN answers the file its prompt names (a repeat asked for is
# taken as made).
echo "OK ready"
desc= repeat=
while IFS= read -r line; do
  case "\$line" in
    SETDESC*|SETPROMPT*) desc="\$desc \${line#* }"; echo OK ;;
    SETREPEAT*) repeat=1; echo OK ;;
    GETPIN)
      d=\$(printf '%b' "\${desc//%/\\\\x}")
      echo "GETPIN: \$d" >>"$T/pins/log"
      case "\$d" in
        *[Rr]eset*[Cc]ode*) f=reset-code ;;
        *[Pp]assphrase*) f=passphrase ;;
        *[Aa]dmin*[Pp][Ii][Nn]*) case "\$d" in *[Nn]ew*|*[Rr]epeat*) f=new-admin ;; *) f=admin ;; esac ;;
        *[Nn]ew*|*[Rr]epeat*) f=new-pin ;;
        *) f=pin ;;
      esac
      [ -z "\$repeat" ] || echo "S PIN_REPEATED"
      printf 'D %s\nOK\n' "\$(cat "$T/pins/\$f")"; desc= repeat= ;;
    BYE) echo OK; exit 0 ;;
    *) echo OK ;;
  esac
done
PIN
  chmod 755 "$T/pinentry"
  echo 123456 >"$T/pins/pin"
  echo 12345678 >"$T/pins/admin"
  echo 'backup passphrase 1' >"$T/pins/passphrase"
  export GNUPGHOME=$dir
}

# card_edit COMMAND-LINES...: gpg --card-edit answering its prompts with the lines given, in
# order (status lines on stderr, for a transcript).
card_edit() {
  printf '%s\n' "$@" | gpg --no-tty --command-fd 0 --status-fd 2 --card-edit 2>&1
}
