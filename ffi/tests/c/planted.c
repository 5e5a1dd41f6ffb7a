/*
 * planted.c: bugs a game could make with the C interface, planted on purpose to show that the
 * valgrind run of chat.c would catch them (ffi/tests/c_chat.rs). Compiled with one of:
 *   -DPLANT_USE_AFTER_FREE  reads an event's text after yim_free_event
 *   -DPLANT_LEAK            loses a block it allocated
 * Without either it is correct and memcheck must find nothing.
 */
#define _POSIX_C_SOURCE 200809L

#include <stdio.h>
#include <stdlib.h>

#include "yim.h"

int main(void) {
  YimInitOptions options = {0};
  options.api_version = YIM_INIT_OPTIONS_API_LATEST;
  options.app_key = "game_app";
  options.app_secret = "game_secret";
  options.zone = YIM_SERVER_ZONE_CHINA;
  /* Nobody listens on the discard port: the login completes with a failure, one event. */
  options.server_address = "127.0.0.1:9";
  YimClient client;
  if (yim_init(&options, &client) != YIM_ERROR_CODE_SUCCESS) return 1;
  if (yim_login(client, "alice", "pw", NULL, NULL) != YIM_ERROR_CODE_SUCCESS) return 1;
  YimEvent event = {0};
  event.api_version = YIM_EVENT_API_LATEST;
  if (yim_wait_event(client, &event, 10000) != YIM_ERROR_CODE_SUCCESS) return 1;
  const char *user = event.user_id;
  if (user[0] != 'a') return 1;
  if (yim_free_event(&event) != YIM_ERROR_CODE_SUCCESS) return 1;
#ifdef PLANT_USE_AFTER_FREE
  printf("after free: %c\n", user[0]);
#endif
#ifdef PLANT_LEAK
  char *lost = malloc(64);
  if (lost == NULL) return 1;
  lost[0] = 'x';
  printf("leaking %c\n", lost[0]);
  lost = NULL;
#endif
  if (yim_shutdown(client) != YIM_ERROR_CODE_SUCCESS) return 1;
  printf("planted: done\n");
  return 0;
}
