// SPDX-License-Identifier: MIT
/*
 * hl_curl: libcurl loaded with dlopen() on first use, as a table of function
 * pointers. libhomelab does not link -lcurl: mapping libcurl and its
 * thirty-odd dependencies costs a one-shot homelab-port-report about 3.5 ms,
 * half its run time, even when it never makes a request. hl_docker and
 * hl_http call hl_curl_load() and then only go through the table.
 */
#ifndef HOMELAB_SHARED_HL_CURL_H
#define HOMELAB_SHARED_HL_CURL_H

#include <stddef.h>

#include <curl/curl.h>

/**
 * struct hl_curl - the libcurl functions homelab uses, resolved from the
 * loaded library. Each member has the signature of the curl_* function of
 * the same name (easy_setopt is curl_easy_setopt, and so on). Pass option
 * values with the exact type libcurl expects (long, curl_off_t, pointers):
 * the type-checking macros of <curl/curl.h> do not apply through pointers.
 */
struct hl_curl {
  CURLcode (*global_init)(long flags);
  CURL *(*easy_init)(void);
  CURLcode (*easy_setopt)(CURL *h, CURLoption opt, ...);
  CURLcode (*easy_perform)(CURL *h);
  CURLcode (*easy_getinfo)(CURL *h, CURLINFO info, ...);
  void (*easy_cleanup)(CURL *h);
  const char *(*easy_strerror)(CURLcode cc);
  struct curl_slist *(*slist_append)(struct curl_slist *l, const char *s);
  void (*slist_free_all)(struct curl_slist *l);
};

/**
 * hl_curl_load() - load libcurl and run curl_global_init(), once per process.
 * @api:    set to the function table on success; it stays valid for the life
 *          of the process (libcurl is never unloaded). Untouched on failure.
 * @err:    on failure, why (for the caller to log). May be NULL.
 * @errlen: size of @err.
 *
 * Thread-safe: the first caller loads the library under pthread_once(),
 * later callers get the stored result.
 * Return: 0; -ENOSYS if libcurl is not installed, lacks a function or fails
 * to initialise.
 */
int hl_curl_load(const struct hl_curl **api, char *err, size_t errlen);

#endif
