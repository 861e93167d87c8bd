// Security keys on the 2FA page, the second login step and re-authentication ("sudo mode"). The server speaks the W3C JSON
// forms, so the browser parses the options and serialises the credential with toJSON().
"use strict";
(function () {
  async function post(path, body, csrf) {
    const response = await fetch(path, {
      method: "POST",
      credentials: "same-origin",
      headers: {"Content-Type": "application/json", "X-CSRF-Token": csrf},
      body: JSON.stringify(body),
    });
    const answer = await response.json();
    if (!response.ok) {
      throw new Error(answer.error ? answer.error.message : "The request failed.");
    }
    return answer;
  }

  function report(id, message) {
    const element = document.getElementById(id);
    element.textContent = message;
    element.hidden = false;
  }

  const addForm = document.getElementById("add-security-key");
  if (addForm) {
    addForm.addEventListener("submit", async (event) => {
      event.preventDefault();
      const csrf = addForm.dataset.csrf;
      const label = addForm.elements.label.value;
      try {
        const options = await post("/api/v1/account/webauthn/options", {label}, csrf);
        const credential = await navigator.credentials.create({
          publicKey: PublicKeyCredential.parseCreationOptionsFromJSON(options),
        });
        await post("/api/v1/account/webauthn", {label, credential: credential.toJSON()}, csrf);
        // Not reload(): after a form's POST that would send the form again.
        window.location.assign("/account/two-factor?done=security-key");
      } catch (error) {
        report("security-key-error", error.message);
      }
    });
  }

  const passkey = document.getElementById("passkey-sign-in");
  if (passkey) {
    passkey.addEventListener("click", async () => {
      try {
        const options = await post("/api/v1/session/webauthn/options", {}, "");
        const credential = await navigator.credentials.get({
          publicKey: PublicKeyCredential.parseRequestOptionsFromJSON(options),
        });
        await post("/api/v1/session/webauthn", {credential: credential.toJSON()}, "");
        window.location.assign("/account/");
      } catch (error) {
        report("security-key-error", error.message);
      }
    });
  }

  const useKey = document.getElementById("use-security-key");
  if (useKey) {
    useKey.addEventListener("click", async () => {
      const csrf = useKey.dataset.csrf;
      try {
        const options = await post("/api/v1/session/webauthn/options", {}, csrf);
        const credential = await navigator.credentials.get({
          publicKey: PublicKeyCredential.parseRequestOptionsFromJSON(options),
        });
        await post("/api/v1/session/webauthn", {credential: credential.toJSON()}, csrf);
        window.location.assign("/account/");
      } catch (error) {
        report("security-key-error", error.message);
      }
    });
  }

  const reauthenticate = document.getElementById("reauthenticate-with-key");
  if (reauthenticate) {
    reauthenticate.addEventListener("click", async () => {
      const csrf = reauthenticate.dataset.csrf;
      try {
        const options = await post("/api/v1/session/reauthenticate/webauthn/options", {}, csrf);
        const credential = await navigator.credentials.get({
          publicKey: PublicKeyCredential.parseRequestOptionsFromJSON(options),
        });
        await post("/api/v1/session/reauthenticate/webauthn", {credential: credential.toJSON()}, csrf);
        // `next` is a path on this site (the server checked it before writing it here).
        window.location.assign(reauthenticate.dataset.next);
      } catch (error) {
        report("security-key-error", error.message);
      }
    });
  }
})();
