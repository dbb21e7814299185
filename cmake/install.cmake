# SPDX-License-Identifier: Apache-2.0
# Installation (cmake --install). The Debian package (debian/, dpkg-buildpackage) is made
# from exactly what this installs: a new install rule needs a line in debian/vtoken.install,
# or the package build stops and names the file (dh_missing --fail-missing).
#
# FHS places through GNUInstallDirs; systemd's own directories come from systemd.pc.

install(TARGETS vtokend vtoken RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})

# vtoken's reader driver goes where pcscd's serial (non-USB) drivers live: Debian's pcscd
# loads those named by LIBPATH in /etc/reader.conf.d (its configdir); pkg-config's usbdropdir
# (/usr/lib/pcsc/drivers) holds USB bundles, and its serial/ subdirectory the rest. Relative to
# the install prefix (lib/pcsc/drivers/serial under /usr), so --prefix P puts it in P. The
# reader.conf.d entry is installed as an example only: a reader entry for a card that is not
# configured would only log errors in pcscd.
if(NOT VT_PCSC_DRIVERDIR)
  pkg_get_variable(vt_usbdropdir libpcsclite usbdropdir)
  if(NOT vt_usbdropdir)
    set(vt_usbdropdir /usr/lib/pcsc/drivers)
  endif()
  string(REGEX REPLACE "^/usr/" "" vt_driverdir "${vt_usbdropdir}/serial")
  set(VT_PCSC_DRIVERDIR ${vt_driverdir} CACHE PATH "where to install vtoken's pcsc-lite reader driver")
endif()
install(TARGETS ifdvtoken LIBRARY DESTINATION ${VT_PCSC_DRIVERDIR})

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
vt_systemd_dir(VT_TMPFILESDIR tmpfilesdir lib/tmpfiles.d)

# The units name /usr/bin/vtokend and /etc/vtoken/; the installed copies name this install's
# places. Those are decided when installing, not when configuring, so that
# `cmake --install --prefix P` gets units that start P/bin/vtokend, and prefix /usr (the Debian
# package) puts the configuration in /etc/vtoken. The sample configuration
# serves only what vtokend serves without one, and only once the service is enabled.
install(CODE "set(VT_SRC [[${PROJECT_SOURCE_DIR}]])
set(VT_STAGE [[${PROJECT_BINARY_DIR}/systemd]])
set(VT_UNITDIR [[${VT_SYSTEMD_UNITDIR}]])
set(VT_BINDIR [[${CMAKE_INSTALL_BINDIR}]])
set(VT_SYSCONFDIR [[${CMAKE_INSTALL_SYSCONFDIR}]])
set(VT_DRIVERDIR [[${VT_PCSC_DRIVERDIR}]])
set(VT_DOCDIR [[${CMAKE_INSTALL_DOCDIR}]])")
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
# the reader.conf.d example names the driver where this install put it
vt_full(vt_driverdir "${VT_DRIVERDIR}")
vt_full(vt_docdir "${VT_DOCDIR}")
file(READ "${VT_SRC}/config/reader.conf.d-vtoken" text)
string(REPLACE "/usr/lib/pcsc/drivers/serial/" "${vt_driverdir}/" text "${text}")
file(WRITE "${VT_STAGE}/reader.conf.d-vtoken" "${text}")
file(INSTALL DESTINATION "${vt_docdir}/examples" TYPE FILE FILES "${VT_STAGE}/reader.conf.d-vtoken")
]==])
# The system user (sysusers.d) and its state directory (tmpfiles.d), made at installation so
# that "runuser -u vtoken -- vtoken init /var/lib/vtoken/NAME" works before the first start.
install(FILES ${PROJECT_SOURCE_DIR}/systemd/vtoken.sysusers DESTINATION ${VT_SYSUSERSDIR} RENAME vtoken.conf)
install(FILES ${PROJECT_SOURCE_DIR}/systemd/vtoken.tmpfiles DESTINATION ${VT_TMPFILESDIR} RENAME vtoken.conf)

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
# The e-Cert guide's headless Firefox check: its https server and its password prompter.
install(PROGRAMS ${PROJECT_SOURCE_DIR}/docs/examples/ecert/client_auth_server.py
  ${PROJECT_SOURCE_DIR}/docs/examples/ecert/firefox_marionette.py
  DESTINATION ${CMAKE_INSTALL_DOCDIR}/examples/ecert)

# vtoken's pytest plugin (pytest -p vtoken.pytest_plugin): in Debian's directory of Python
# modules for every Python 3 version, under the prefix (/usr in the package).
set(VT_PYTHONDIR lib/python3/dist-packages CACHE PATH "where to install the vtoken Python package")
install(FILES ${PROJECT_SOURCE_DIR}/python/vtoken/__init__.py ${PROJECT_SOURCE_DIR}/python/vtoken/pytest_plugin.py
  DESTINATION ${VT_PYTHONDIR}/vtoken)
