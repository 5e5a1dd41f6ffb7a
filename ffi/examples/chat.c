/*
 * chat.c: the YIM C interface end to end, as a game in C or C++ uses it.
 *
 * Two clients in one process (alice and bob) log in to a yim-server, join a room, exchange a
 * text, a custom message, a private message and a voice message (recorded from a simulated
 * microphone, recognised, sent, downloaded and played), then log out. Every event is taken
 * through the pump on this thread. Any mismatch, or any call that fails, exits non-zero.
 *
 *   gcc -std=c11 -Wall -Wextra -I ffi/include ffi/examples/chat.c -L <dir of libyim_ffi.so> \
 *       -lyim_ffi -o chat
 *   ./chat 127.0.0.1:5000 /tmp/chat-work
 *
 * The server must host the app "game_app" with secret "game_secret"; ffi/tests/c_chat.rs
 * starts one, builds this program and runs it (once under valgrind).
 */
#define _POSIX_C_SOURCE 200809L

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "yim.h"

#define APP_KEY "game_app"
#define APP_SECRET "game_secret"
#define ROOM "world"
#define SPOKEN "go left"

static void fail_code(const char *what, uint32_t code) {
  const char *description = yim_error_description(code);
  fprintf(stderr, "chat: %s: code %u (%s)\n", what, (unsigned)code,
          description ? description : "not a YIM code");
  exit(1);
}

/* Exits unless a call returned SUCCESS. */
#define CALL(call)                                                                         \
  do {                                                                                     \
    YimErrorCode code_ = (call);                                                           \
    if (code_ != YIM_ERROR_CODE_SUCCESS) fail_code(#call, code_);                          \
  } while (0)

/* Exits unless `ok`. */
#define EXPECT(ok)                                                                         \
  do {                                                                                     \
    if (!(ok)) {                                                                           \
      fprintf(stderr, "chat: mismatch at line %d: %s\n", __LINE__, #ok);                   \
      exit(1);                                                                             \
    }                                                                                      \
  } while (0)

static void sleep_ms(long ms) {
  struct timespec wait = {ms / 1000, (ms % 1000) * 1000000L};
  nanosleep(&wait, NULL);
}

/* The next event of `client`, waiting up to 10 s for it (YIM's IM_GetMessage). The caller
 * frees it with yim_free_event. */
static YimEvent next_event(YimClient client, const char *who) {
  YimEvent event = {0};
  event.api_version = YIM_EVENT_API_LATEST;
  YimErrorCode code = yim_wait_event(client, &event, 10000);
  if (code != YIM_ERROR_CODE_SUCCESS) {
    fprintf(stderr, "chat: %s got no event\n", who);
    fail_code("yim_wait_event", code);
  }
  printf("%s: event %u (request %llu, code %u)\n", who, (unsigned)event.kind,
         (unsigned long long)event.request_id, (unsigned)event.code);
  return event;
}

/* The next event, which must be the successful completion of `request_id` of `kind`. */
static YimEvent completion(YimClient client, const char *who, YimEventKind kind,
                           uint64_t request_id) {
  YimEvent event = next_event(client, who);
  EXPECT(event.kind == kind);
  EXPECT(event.request_id == request_id);
  if (event.code != YIM_ERROR_CODE_SUCCESS) fail_code(who, event.code);
  return event;
}

/* Completes and frees in one step, for completions whose fields are not looked at. */
static void complete(YimClient client, const char *who, YimEventKind kind, uint64_t id) {
  YimEvent event = completion(client, who, kind, id);
  CALL(yim_free_event(&event));
}

static YimClient start(const char *server, const char *speech, const char *cache_dir) {
  YimInitOptions options = {0};
  options.api_version = YIM_INIT_OPTIONS_API_LATEST;
  options.app_key = APP_KEY;
  options.app_secret = APP_SECRET;
  options.zone = YIM_SERVER_ZONE_CHINA;
  options.server_address = server;
  options.audio_devices = YIM_AUDIO_DEVICES_SIMULATED;
  options.simulated_speech = speech;
  options.audio_cache_dir = cache_dir;
  YimClient client;
  CALL(yim_init(&options, &client));
  return client;
}

static void login(YimClient client, const char *user) {
  uint64_t id = 0;
  CALL(yim_login(client, user, "pw", NULL, &id));
  YimEvent event = completion(client, user, YIM_EVENT_KIND_LOGIN, id);
  EXPECT(strcmp(event.user_id, user) == 0);
  EXPECT(event.user_id_len == strlen(user));
  CALL(yim_free_event(&event));
}

/* A send's status: successful, with the server's message ID. */
static uint64_t sent(YimClient client, const char *who, uint64_t id) {
  YimEvent status = completion(client, who, YIM_EVENT_KIND_SEND_MESSAGE_STATUS, id);
  uint64_t message_id = status.message_id;
  EXPECT(message_id != 0);
  EXPECT(status.send_time > 0);
  CALL(yim_free_event(&status));
  return message_id;
}

static void rooms_and_messages(YimClient alice, YimClient bob) {
  uint64_t id = 0;
  CALL(yim_join_chat_room(alice, ROOM, &id));
  complete(alice, "alice", YIM_EVENT_KIND_JOIN_CHAT_ROOM, id);
  CALL(yim_join_chat_room(bob, ROOM, &id));
  complete(bob, "bob", YIM_EVENT_KIND_JOIN_CHAT_ROOM, id);

  CALL(yim_get_room_member_count(alice, ROOM, &id));
  YimEvent count = completion(alice, "alice", YIM_EVENT_KIND_ROOM_MEMBER_COUNT, id);
  EXPECT(count.count == 2);
  EXPECT(strcmp(count.room_id, ROOM) == 0);
  CALL(yim_free_event(&count));

  /* A room text with its attach parameter. */
  CALL(yim_send_text_message(alice, ROOM, YIM_CHAT_TYPE_ROOM, "hello world", "{\"team\":1}",
                             &id));
  uint64_t text_id = sent(alice, "alice", id);
  YimEvent text = next_event(bob, "bob");
  EXPECT(text.kind == YIM_EVENT_KIND_RECV_MESSAGE);
  EXPECT(text.body_type == YIM_MESSAGE_BODY_TYPE_TXT);
  EXPECT(text.chat_type == YIM_CHAT_TYPE_ROOM);
  EXPECT(text.message_id == text_id);
  EXPECT(text.room_seq == 1);
  EXPECT(strcmp(text.sender_id, "alice") == 0);
  EXPECT(strcmp(text.receiver_id, ROOM) == 0);
  EXPECT(strcmp(text.text, "hello world") == 0 && text.text_len == 11);
  EXPECT(strcmp(text.attach, "{\"team\":1}") == 0);
  CALL(yim_free_event(&text));

  /* A custom message: raw bytes, NULs included. */
  const uint8_t payload[] = {0x00, 0x01, 0xfe, 0x00, 'x'};
  CALL(yim_send_custom_message(alice, ROOM, YIM_CHAT_TYPE_ROOM, payload, sizeof payload, &id));
  uint64_t custom_id = sent(alice, "alice", id);
  YimEvent custom = next_event(bob, "bob");
  EXPECT(custom.kind == YIM_EVENT_KIND_RECV_MESSAGE);
  EXPECT(custom.body_type == YIM_MESSAGE_BODY_TYPE_CUSTOM_MESSSAGE);
  EXPECT(custom.message_id == custom_id);
  EXPECT(custom.room_seq == 2);
  EXPECT(custom.data_len == sizeof payload && memcmp(custom.data, payload, sizeof payload) == 0);
  CALL(yim_free_event(&custom));

  /* A private message back. */
  CALL(yim_send_text_message(bob, "alice", YIM_CHAT_TYPE_PRIVATE, "psst", NULL, &id));
  uint64_t private_id = sent(bob, "bob", id);
  YimEvent private_text = next_event(alice, "alice");
  EXPECT(private_text.kind == YIM_EVENT_KIND_RECV_MESSAGE);
  EXPECT(private_text.chat_type == YIM_CHAT_TYPE_PRIVATE);
  EXPECT(private_text.message_id == private_id);
  EXPECT(strcmp(private_text.sender_id, "bob") == 0);
  EXPECT(strcmp(private_text.receiver_id, "alice") == 0);
  EXPECT(strcmp(private_text.text, "psst") == 0);
  EXPECT(private_text.attach_len == 0 && private_text.attach[0] == '\0');
  CALL(yim_free_event(&private_text));
}

static void voice(YimClient alice, YimClient bob, const char *work_dir) {
  /* Alice records (the simulated microphone says SPOKEN), stops and sends to bob. */
  uint64_t recording = 0;
  CALL(yim_send_audio_message(alice, "bob", YIM_CHAT_TYPE_PRIVATE, &recording));
  sleep_ms(1900);
  uint64_t stopped = 0;
  CALL(yim_stop_audio_message(alice, "clip-1", &stopped));
  EXPECT(stopped == recording);
  YimEvent start_send = completion(alice, "alice", YIM_EVENT_KIND_START_SEND_AUDIO, recording);
  EXPECT(strcmp(start_send.text, SPOKEN) == 0);
  EXPECT(start_send.path_len > 0);
  CALL(yim_free_event(&start_send));
  YimEvent status = completion(alice, "alice", YIM_EVENT_KIND_SEND_AUDIO_STATUS, recording);
  uint64_t voice_id = status.message_id;
  EXPECT(voice_id != 0);
  CALL(yim_free_event(&status));

  /* Bob gets it with its recognised text, downloads and plays it. */
  YimEvent message = next_event(bob, "bob");
  EXPECT(message.kind == YIM_EVENT_KIND_RECV_MESSAGE);
  EXPECT(message.body_type == YIM_MESSAGE_BODY_TYPE_VOICE);
  EXPECT(message.message_id == voice_id);
  EXPECT(strcmp(message.text, SPOKEN) == 0);
  EXPECT(strcmp(message.attach, "clip-1") == 0);
  EXPECT(message.duration_ms >= 1000 && message.file_size > 0);
  CALL(yim_free_event(&message));

  char save_path[4096];
  snprintf(save_path, sizeof save_path, "%s/bob/downloads/voice.wav", work_dir);
  uint64_t id = 0;
  CALL(yim_download_audio(bob, voice_id, save_path, &id));
  YimEvent download = completion(bob, "bob", YIM_EVENT_KIND_DOWNLOAD_AUDIO, id);
  EXPECT(download.message_id == voice_id);
  EXPECT(strcmp(download.path, save_path) == 0);
  CALL(yim_free_event(&download));

  /* Played and stopped: cancelled. Played again: to the end. */
  CALL(yim_start_play_audio(bob, save_path));
  uint8_t playing = 0;
  CALL(yim_is_playing(bob, &playing));
  EXPECT(playing == 1);
  CALL(yim_stop_play_audio(bob));
  YimEvent stopped_play = next_event(bob, "bob");
  EXPECT(stopped_play.kind == YIM_EVENT_KIND_PLAY_COMPLETION);
  EXPECT(stopped_play.code == YIM_ERROR_CODE_PTT_CANCEL_PLAY);
  CALL(yim_free_event(&stopped_play));
  CALL(yim_set_volume(bob, 0.5f));
  CALL(yim_start_play_audio(bob, save_path));
  YimEvent played = next_event(bob, "bob");
  EXPECT(played.kind == YIM_EVENT_KIND_PLAY_COMPLETION);
  EXPECT(played.code == YIM_ERROR_CODE_SUCCESS);
  EXPECT(strcmp(played.path, save_path) == 0);
  CALL(yim_free_event(&played));

  /* Nothing recording: YIM's code, and no event. */
  EXPECT(yim_cancel_audio_message(alice) == YIM_ERROR_CODE_PTT_NOT_START_RECORD);
}

static void goodbye(YimClient client, const char *who) {
  uint64_t id = 0;
  CALL(yim_leave_all_chat_rooms(client, &id));
  complete(client, who, YIM_EVENT_KIND_LEAVE_ALL_CHAT_ROOMS, id);
  CALL(yim_logout(client, &id));
  complete(client, who, YIM_EVENT_KIND_LOGOUT, id);
  /* Nothing else came. */
  YimEvent none = {0};
  none.api_version = YIM_EVENT_API_LATEST;
  EXPECT(yim_poll_event(client, &none) == YIM_ERROR_CODE_TIME_OUT);
  CALL(yim_shutdown(client));
  EXPECT(yim_shutdown(client) == YIM_ERROR_CODE_ENGINE_NOT_INIT);
}

int main(int argc, char **argv) {
  if (argc != 3) {
    fprintf(stderr, "usage: chat SERVER_ADDRESS WORK_DIR\n");
    return 2;
  }
  const char *server = argv[1];
  const char *work_dir = argv[2];
  char alice_cache[4096], bob_cache[4096];
  snprintf(alice_cache, sizeof alice_cache, "%s/alice/cache", work_dir);
  snprintf(bob_cache, sizeof bob_cache, "%s/bob/cache", work_dir);

  YimClient alice = start(server, SPOKEN, alice_cache);
  YimClient bob = start(server, "ok", bob_cache);
  login(alice, "alice");
  login(bob, "bob");
  rooms_and_messages(alice, bob);
  voice(alice, bob, work_dir);
  goodbye(alice, "alice");
  goodbye(bob, "bob");
  printf("chat: all checks passed\n");
  return 0;
}
