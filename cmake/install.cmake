# SPDX-License-Identifier: Apache-2.0
# Installation (cmake --install) and the Debian package (cpack -G DEB).
#
# FHS places through GNUInstallDirs; systemd's own directories come from systemd.pc. The
# package: `cpack -G DEB` in any build directory (it installs with prefix /usr, so the sample
# configuration goes to /etc/vtoken).

install(TARGETS vtokend vtoken RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})

# systemd directories: from systemd.pc when present (Debian 12: package systemd; Debian 13:
# systemd-dev, which scripts/install-deps.sh installs), else the usual places under the prefix
# of the install (relative: /usr/lib/... in the package, whatever the build's prefix).
function(vt_systemd_dir var pcvar fallback)
  if(NOT ${var})
    pkg_get_variable(dir systemd ${pcvar})
    if(NOT dir)
      message(STATUS "systemd.pc not found (Debian 13: package systemd-dev): ${pcvar} is <prefix>/${fallback}")
      set(dir ${fallback})
    endif()
    set(${var} ${dir} CACHE PATH "where to install systemd's ${pcvar} files")
  endif()
endfunction()
vt_systemd_dir(VT_SYSTEMD_UNITDIR systemdsystemunitdir lib/systemd/system)
vt_systemd_dir(VT_SYSUSERSDIR sysusersdir lib/sysusers.d)

# The units name /usr/bin/vtokend and /etc/vtoken/; the installed copies name this install's
# places. Those are decided when installing, not when configuring, so that cpack (which
# installs with prefix /usr) makes a Debian package with /etc/vtoken from any build directory,
# and `cmake --install --prefix P` gets units that start P/bin/vtokend. The sample configuration
# serves only what vtokend serves without one, and only once the service is enabled.
install(CODE "set(VT_SRC [[${PROJECT_SOURCE_DIR}]])
set(VT_STAGE [[${PROJECT_BINARY_DIR}/systemd]])
set(VT_UNITDIR [[${VT_SYSTEMD_UNITDIR}]])
set(VT_BINDIR [[${CMAKE_INSTALL_BINDIR}]])
set(VT_SYSCONFDIR [[${CMAKE_INSTALL_SYSCONFDIR}]])")
install(CODE [==[
function(vt_full var dir) # GNUInstallDirs' rule, with the prefix of this install
  if(IS_ABSOLUTE "${dir}")
    set(${var} "${dir}" PARENT_SCOPE)
  elseif(dir STREQUAL "etc" AND CMAKE_INSTALL_PREFIX STREQUAL "/usr")
    set(${var} "/etc" PARENT_SCOPE)
  else()
    set(${var} "${CMAKE_INSTALL_PREFIX}/${dir}" PARENT_SCOPE)
  endif()
endfunction()
vt_full(vt_bindir "${VT_BINDIR}")
vt_full(VT_UNITDIR "${VT_UNITDIR}")
vt_full(vt_confdir "${VT_SYSCONFDIR}")
string(APPEND vt_confdir "/vtoken")
set(vt_units)
foreach(unit vtokend.service vtokend@.service)
  file(READ "${VT_SRC}/systemd/${unit}" text)
  string(REPLACE "/usr/bin/vtokend" "${vt_bindir}/vtokend" text "${text}")
  string(REPLACE "/etc/vtoken/" "${vt_confdir}/" text "${text}")
  file(WRITE "${VT_STAGE}/${unit}" "${text}")
  list(APPEND vt_units "${VT_STAGE}/${unit}")
endforeach()
list(APPEND CMAKE_ABSOLUTE_DESTINATION_FILES "${VT_UNITDIR}/vtokend.service"
  "${VT_UNITDIR}/vtokend@.service" "${vt_confdir}/vtokend.conf")
file(INSTALL DESTINATION "${VT_UNITDIR}" TYPE FILE FILES ${vt_units})
file(INSTALL DESTINATION "${vt_confdir}" TYPE FILE FILES "${VT_SRC}/config/vtokend.conf")
]==])
install(FILES ${PROJECT_SOURCE_DIR}/systemd/vtoken.sysusers DESTINATION ${VT_SYSUSERSDIR} RENAME vtoken.conf)

# bash completion, where bash-completion loads it on first use: its completionsdir from
# bash-completion.pc (/usr/share/bash-completion/completions on Debian), else
# <prefix>/share/bash-completion/completions, which bash-completion also searches (through
# XDG_DATA_DIRS) for a prefix such as /usr/local. One file serves both commands.
if(NOT VT_BASH_COMPLETIONSDIR)
  pkg_get_variable(vt_bc_dir bash-completion completionsdir)
  if(NOT vt_bc_dir)
    message(STATUS "bash-completion.pc not found: completions go to <prefix>/${CMAKE_INSTALL_DATADIR}/bash-completion/completions")
    set(vt_bc_dir ${CMAKE_INSTALL_DATADIR}/bash-completion/completions)
  endif()
  set(VT_BASH_COMPLETIONSDIR ${vt_bc_dir} CACHE PATH "where to install the bash completion of vtoken and vtokend")
endif()
install(FILES ${PROJECT_SOURCE_DIR}/completion/vtoken.bash DESTINATION ${VT_BASH_COMPLETIONSDIR} RENAME vtoken)
install(FILES ${PROJECT_SOURCE_DIR}/completion/vtoken.bash DESTINATION ${VT_BASH_COMPLETIONSDIR} RENAME vtokend)

# Man pages, compressed as Debian installs them (gzip -n: no name or time stamp inside).
find_program(VT_GZIP gzip REQUIRED)
set(VT_MAN_GZ)
foreach(page vtoken.1 vtokend.conf.5 vtokend.8)
  string(REGEX REPLACE ".*\\." "" section ${page})
  set(gz ${PROJECT_BINARY_DIR}/man/${page}.gz)
  add_custom_command(OUTPUT ${gz}
    COMMAND ${CMAKE_COMMAND} -E make_directory ${PROJECT_BINARY_DIR}/man
    COMMAND ${VT_GZIP} -9nc ${PROJECT_SOURCE_DIR}/docs/man/${page} > ${gz}
    DEPENDS ${PROJECT_SOURCE_DIR}/docs/man/${page} VERBATIM)
  install(FILES ${gz} DESTINATION ${CMAKE_INSTALL_MANDIR}/man${section})
  list(APPEND VT_MAN_GZ ${gz})
endforeach()
add_custom_target(vt_man ALL DEPENDS ${VT_MAN_GZ})

# The user guides: how to run the service, the e-Cert token step by step.
install(FILES ${PROJECT_SOURCE_DIR}/README.md ${PROJECT_SOURCE_DIR}/docs/ecert-guide.md
  DESTINATION ${CMAKE_INSTALL_DOCDIR} OPTIONAL)

# ---- Debian package -------------------------------------------------------------------
set(VT_DEB_MAINTAINER "vtoken developers <vtoken@localhost>" CACHE STRING "Maintainer field of the .deb")

set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME vtoken)
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "virtual smart cards (PIV) for PC/SC programs")
set(CPACK_PACKAGE_DESCRIPTION
  "vtokend serves emulated smart cards to pcscd through vsmartcard's vpcd driver, so that\n"
  "every PC/SC program (OpenSC, yubico-piv-tool, NSS, OpenSSH, ...) sees a reader with a\n"
  "token in it. vtoken makes card images and runs programs against private PC/SC\n"
  "environments with cards inserted. The vtokend service is installed but not enabled.")
string(REPLACE ";" "" CPACK_PACKAGE_DESCRIPTION "${CPACK_PACKAGE_DESCRIPTION}")
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_MAINTAINER "${VT_DEB_MAINTAINER}")
set(CPACK_DEBIAN_PACKAGE_SECTION utils)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
# Named, not computed with dpkg-shlibdeps: the names hold on Debian 12 and 13 (13's
# libssl3t64 provides libssl3), and a build needs no dpkg-dev.
set(CPACK_DEBIAN_PACKAGE_DEPENDS
  "pcscd, vsmartcard-vpcd, libpcsclite1, libsystemd0, libssl3, libinih1, libp11-kit0, libc6, passwd")

# Maintainer scripts. postinst creates the system user and enables or starts nothing: the
# administrator does that with systemctl. Upgrades restart only services already running.
set(VT_DEB_DIR ${PROJECT_BINARY_DIR}/deb)
set(VT_PKG_SYSUSERSDIR ${VT_SYSUSERSDIR}) # as the package installs it, with prefix /usr
if(NOT IS_ABSOLUTE "${VT_PKG_SYSUSERSDIR}")
  set(VT_PKG_SYSUSERSDIR /usr/${VT_PKG_SYSUSERSDIR})
endif()
file(CONFIGURE OUTPUT ${VT_DEB_DIR}/conffiles CONTENT "/etc/vtoken/vtokend.conf\n" @ONLY)
file(CONFIGURE OUTPUT ${VT_DEB_DIR}/postinst @ONLY CONTENT [=[#!/bin/sh
set -e
if [ "$1" = configure ]; then
    if command -v systemd-sysusers >/dev/null 2>&1; then
        systemd-sysusers @VT_PKG_SYSUSERSDIR@/vtoken.conf
    elif ! getent passwd vtoken >/dev/null; then
        useradd --system --user-group --home-dir /var/lib/vtoken --no-create-home \
            --shell /usr/sbin/nologin --comment "vtoken virtual smart card daemon" vtoken
    fi
    if [ -d /run/systemd/system ]; then
        systemctl --system daemon-reload >/dev/null || true
        if [ -n "$2" ]; then
            systemctl try-restart vtokend.service 'vtokend@*.service' >/dev/null 2>&1 || true
        fi
    fi
fi
exit 0
]=])
file(CONFIGURE OUTPUT ${VT_DEB_DIR}/prerm @ONLY CONTENT [=[#!/bin/sh
set -e
if [ "$1" = remove ] && [ -d /run/systemd/system ]; then
    systemctl stop vtokend.service 'vtokend@*.service' >/dev/null 2>&1 || true
fi
exit 0
]=])
file(CONFIGURE OUTPUT ${VT_DEB_DIR}/postrm @ONLY CONTENT [=[#!/bin/sh
set -e
case "$1" in
remove)
    if [ -d /run/systemd/system ]; then
        systemctl --system daemon-reload >/dev/null || true
    fi
    ;;
purge)
    # Links left by "systemctl enable" (the package itself never makes any), then the card
    # images: their keys and PIN state go with a purge. The system user stays, as usual.
    rm -f /etc/systemd/system/*.wants/vtokend.service /etc/systemd/system/*.wants/vtokend@*.service
    rm -rf /var/lib/vtoken /var/lib/private/vtoken /run/vtoken
    ;;
esac
exit 0
]=])
set(CPACK_DEBIAN_PACKAGE_CONTROL_EXTRA
  ${VT_DEB_DIR}/conffiles ${VT_DEB_DIR}/postinst ${VT_DEB_DIR}/prerm ${VT_DEB_DIR}/postrm)
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)

include(CPack)
