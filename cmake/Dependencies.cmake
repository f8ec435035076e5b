# Every third-party dependency comes from Debian packages (scripts/deps.sh installs them).
find_package(OpenSSL 3.0 REQUIRED)
find_package(Threads REQUIRED)
find_package(GTest REQUIRED)
find_package(benchmark REQUIRED)
find_package(nlohmann_json 3.10 REQUIRED)
find_package(tl-expected REQUIRED)
find_package(yaml-cpp REQUIRED)
find_package(CLI11 REQUIRED)
find_package(PkgConfig REQUIRED)
pkg_check_modules(SECP256K1 REQUIRED IMPORTED_TARGET libsecp256k1)
pkg_check_modules(SODIUM REQUIRED IMPORTED_TARGET libsodium)
# HTTP client/server (Debian builds it as a shared library; the defines come from its .pc file).
pkg_check_modules(CPPHTTPLIB REQUIRED IMPORTED_TARGET cpp-httplib)
pkg_check_modules(SQLITE3 REQUIRED IMPORTED_TARGET sqlite3)

# yaml-cpp 0.7's config exports the target under different names across distros.
if(TARGET yaml-cpp::yaml-cpp)
  set(TEECLOUD_YAML_TARGET yaml-cpp::yaml-cpp)
else()
  set(TEECLOUD_YAML_TARGET yaml-cpp)
endif()
