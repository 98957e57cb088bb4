# Build-time generator: turns db/migrations/NNNN_name.sql into a C++ source
# so the headroom binary carries its migrations and works from any folder.
# Usage: cmake -DMIGRATIONS_DIR=… -DOUT=… -P embed_migrations.cmake
file(GLOB files "${MIGRATIONS_DIR}/*.sql")
list(SORT files)
set(delim "headroom_sql")
set(body "")
foreach(f ${files})
  get_filename_component(name "${f}" NAME)
  if(NOT name MATCHES "^([0-9][0-9][0-9][0-9])_[a-z0-9_]+\\.sql$")
    message(FATAL_ERROR "migration file name must be NNNN_verb_noun.sql: ${name}")
  endif()
  math(EXPR version "${CMAKE_MATCH_1}")
  file(READ "${f}" sql)
  string(FIND "${sql}" ")${delim}\"" clash)
  if(NOT clash EQUAL -1)
    message(FATAL_ERROR "${name} contains the raw-string delimiter )${delim}\"")
  endif()
  string(APPEND body "      {${version}, \"${name}\", R\"${delim}(${sql})${delim}\"},\n")
endforeach()
set(text "// Generated from db/migrations/*.sql by db/embed_migrations.cmake. Do not edit.
#include \"db/migrations.hpp\"

namespace headroom::db {

const std::vector<Migration>& embedded_migrations() {
  static const std::vector<Migration> migrations = {
${body}  };
  return migrations;
}

}  // namespace headroom::db
")
# Rewrite only on change, so an unrelated rebuild does not recompile it.
if(EXISTS "${OUT}")
  file(READ "${OUT}" old)
  if(old STREQUAL text)
    return()
  endif()
endif()
file(WRITE "${OUT}" "${text}")
