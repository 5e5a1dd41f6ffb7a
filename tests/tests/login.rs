//! Login rules over real TCP: registration, passwords, IDs, app keys, tokens, AlreadyLogin,
//! kick-off.

#![allow(clippy::unwrap_used)] // test code: a panic is a test failure

use yim_proto::ErrorCode;
use yim_sdk::Event;
use yim_tests::{
    code, done, refusal, TestClient, TestServer, APP_KEY, APP_SECRET, OTHER_APP_KEY,
    OTHER_APP_SECRET,
};

#[tokio::test]
async fn first_login_registers_and_a_wrong_password_is_refused() {
    let server = TestServer::start().await;
    let mut alice = server.client();
    assert_eq!(alice.login("alice", "right").await, ErrorCode::Success);
    let mut impostor = server.client();
    assert_eq!(
        impostor.login("alice", "wrong").await,
        ErrorCode::UsernamePasswordError
    );
    // The failed attempt did not disturb the real session, and a later correct login works.
    assert_eq!(code(alice.client.logout()).await, ErrorCode::Success);
    assert_eq!(impostor.login("alice", "right").await, ErrorCode::Success);
}

#[tokio::test]
async fn invalid_ids_and_passwords_fail_at_once_without_a_callback() {
    let server = TestServer::start().await;
    let alice = server.client();
    for (user, password) in [
        ("", "pw"),
        ("has space", "pw"),
        ("dash-ed", "pw"),
        ("alice", ""),
    ] {
        assert_eq!(
            refusal(alice.client.login(user, password, "")),
            ErrorCode::ParamInvalid,
            "{user:?}"
        );
    }
    let long = "a".repeat(256);
    assert_eq!(
        refusal(alice.client.login(&long, "pw", "")),
        ErrorCode::ParamInvalid
    );
    assert_eq!(
        alice.client.try_next_event(),
        None,
        "a refused call has no completion"
    );
}

#[tokio::test]
async fn calls_in_the_wrong_state_get_yim_codes() {
    let server = TestServer::start().await;
    let mut alice = server.client();
    assert_eq!(
        refusal(alice.client.join_chat_room("world")),
        ErrorCode::NotLogin
    );
    alice.login_ok("alice").await;
    assert_eq!(
        refusal(alice.client.login("alice", "pw", "")),
        ErrorCode::AlreadyLogin
    );
    let uninitialised = yim_sdk::Client::builder().build();
    assert_eq!(
        refusal(uninitialised.login("bob", "pw", "")),
        ErrorCode::EngineNotInit
    );
}

#[tokio::test]
async fn unknown_app_keys_and_wrong_secrets_are_refused() {
    let server = TestServer::start().await;
    let addr = server.addr.to_string();
    let mut stranger = TestClient::new(&addr, "no_such_app", APP_SECRET);
    assert_eq!(
        stranger.login("alice", "pw").await,
        ErrorCode::InvalidAppkey
    );
    let mut forger = TestClient::new(&addr, APP_KEY, "guessed_secret");
    assert_eq!(forger.login("alice", "pw").await, ErrorCode::SDKInvalid);
    // Apps are separate: the same user name in another app is another account.
    let mut other = TestClient::new(&addr, OTHER_APP_KEY, OTHER_APP_SECRET);
    assert_eq!(other.login("alice", "pw").await, ErrorCode::Success);
    let mut same_name = server.client();
    assert_eq!(
        same_name.login("alice", "different").await,
        ErrorCode::Success
    );
}

#[tokio::test]
async fn login_tokens_are_checked_when_given() {
    let server = TestServer::start().await;
    let now_secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let good = yim_proto::auth::make_login_token(APP_SECRET, "alice", now_secs + 600);
    let expired = yim_proto::auth::make_login_token(APP_SECRET, "bob", now_secs - 1);
    let alice = server.client();
    assert_eq!(
        code(alice.client.login("alice", "pw", &good)).await,
        ErrorCode::Success
    );
    let bob = server.client();
    assert_eq!(
        code(bob.client.login("bob", "pw", &expired)).await,
        ErrorCode::LoginTokenInvalid
    );
    let carol = server.client();
    assert_eq!(
        code(carol.client.login("carol", "pw", &good)).await,
        ErrorCode::LoginTokenInvalid,
        "alice's token is not carol's"
    );
}

#[tokio::test]
async fn a_login_elsewhere_kicks_the_older_session_off() {
    let server = TestServer::start().await;
    let mut phone = server.client();
    phone.login_ok("alice").await;
    phone.join_ok("world").await;
    let mut bob = server.client();
    bob.login_ok("bob").await;
    bob.join_ok("world").await;
    let mut tablet = server.client();
    tablet.login_ok("alice").await;
    phone
        .wait_for("kick-off", |e| matches!(e, Event::KickOff).then_some(()))
        .await;
    // The kicked session is logged out: calls now fail at once.
    assert_eq!(
        refusal(phone.client.join_chat_room("world")),
        ErrorCode::NotLogin
    );
    // The old session's room membership is gone: bob is alone in the room, and the new
    // session is not in it until it joins.
    let count = done(bob.client.get_room_member_count("world")).await;
    assert_eq!(count.ok(), Some(1));
    let count = code(tablet.client.get_room_member_count("world")).await;
    assert_eq!(count, ErrorCode::NotJoinRoom);
    tablet.join_ok("world").await;
    let count = done(bob.client.get_room_member_count("world")).await;
    assert_eq!(count.ok(), Some(2));
}
