// SPDX-License-Identifier: MIT
/*
 * hl_curl: the lazily loaded libcurl function table (see hl_curl.h for why
 * libcurl is not linked).
 *
 * Data flow: hl_curl_load() runs load_once() through pthread_once(): it
 * dlopen()s libcurl.so.4 (or the GnuTLS flavour), resolves every function of
 * struct hl_curl with dlsym() and calls curl_global_init(), which must run
 * before any other libcurl call and, before 7.84, not concurrently. The table
 * and, on failure, the reason are stored beside the once-control and only
 * read afterwards, so no lock is needed.
 *
 * File-scope state: the once-control, the table, a "loaded" flag and the
 * error text; nothing else. Neither dlclose() nor curl_global_cleanup() is
 * called: a library cannot know when its last user is gone.
 */
#include "hl_curl.h"
#include "hl_str.h"

#include <dlfcn.h>
#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;
static struct hl_curl curl_api;
static bool curl_loaded;
static char curl_error[128];

/* dlsym() into a function pointer, as POSIX allows (XSH dlsym). */
#define CURL_SYM(lib, field, name)                                             \
  ((*(void **)(&curl_api.field) = dlsym((lib), (name))) != NULL)

static bool resolve_all(void *lib) {
  return CURL_SYM(lib, global_init, "curl_global_init") &&
         CURL_SYM(lib, easy_init, "curl_easy_init") &&
         CURL_SYM(lib, easy_setopt, "curl_easy_setopt") &&
         CURL_SYM(lib, easy_perform, "curl_easy_perform") &&
         CURL_SYM(lib, easy_getinfo, "curl_easy_getinfo") &&
         CURL_SYM(lib, easy_cleanup, "curl_easy_cleanup") &&
         CURL_SYM(lib, easy_strerror, "curl_easy_strerror") &&
         CURL_SYM(lib, slist_append, "curl_slist_append") &&
         CURL_SYM(lib, slist_free_all, "curl_slist_free_all");
}

static void load_once(void) {
  static const char *const names[] = {"libcurl.so.4", "libcurl-gnutls.so.4"};
  void *lib = NULL;
  for (size_t i = 0; lib == NULL && i < sizeof(names) / sizeof(names[0]); i++)
    lib = dlopen(names[i], RTLD_NOW | RTLD_LOCAL);
  if (lib == NULL) {
    hl_str_copy(curl_error, sizeof(curl_error),
                "libcurl not found (install the Debian package libcurl4)");
    return;
  }
  if (!resolve_all(lib)) {
    hl_str_copy(curl_error, sizeof(curl_error), "libcurl: missing functions");
    return;
  }
  CURLcode cc = curl_api.global_init(CURL_GLOBAL_DEFAULT);
  if (cc != CURLE_OK) {
    snprintf(curl_error, sizeof(curl_error), "libcurl: %s",
             curl_api.easy_strerror(cc));
    return;
  }
  curl_loaded = true;
}

int hl_curl_load(const struct hl_curl **api, char *err, size_t errlen) {
  pthread_once(&curl_once, load_once);
  if (!curl_loaded) {
    if (err != NULL)
      hl_str_copy(err, errlen, curl_error);
    return -ENOSYS;
  }
  *api = &curl_api;
  return 0;
}
