# Every dependency is found with pkg-config. A missing one stops configure
# with the Debian package that provides it, so the fix is one apt-get away.
find_package(PkgConfig REQUIRED)

function(dnsoracle_require target module debian_package)
  pkg_check_modules(${target} IMPORTED_TARGET ${module})
  if(NOT ${target}_FOUND)
    message(FATAL_ERROR
      "dnsoracle needs ${module} (pkg-config module '${module}' not found).\n"
      "On Debian or Ubuntu install it with:  apt-get install ${debian_package}")
  endif()
endfunction()

dnsoracle_require(PSL libpsl libpsl-dev)
dnsoracle_require(INIH inih libinih-dev)
dnsoracle_require(BSD libbsd libbsd-dev)
dnsoracle_require(ZMQ libzmq libzmq3-dev)
dnsoracle_require(SYSTEMD libsystemd libsystemd-dev)
dnsoracle_require(MARIADB libmariadb libmariadb-dev)
dnsoracle_require(PCAP libpcap libpcap-dev) # dnsoracle_replay reads captures
dnsoracle_require(MHD libmicrohttpd libmicrohttpd-dev) # dnsoracled's /metrics
if(DNSORACLE_TESTS)
  dnsoracle_require(CMOCKA cmocka libcmocka-dev)
endif()
if(DNSORACLE_LUA)
  dnsoracle_require(LUAJIT luajit libluajit-5.1-dev)
endif()
