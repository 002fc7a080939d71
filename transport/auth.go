package transport

import (
	"crypto/x509"
	"errors"
	"fmt"
	"os"
	"strings"

	"golang.org/x/crypto/ssh"
)

// authMethods reads the credentials a names and returns the SSH methods to
// offer. Errors name the file or variable, never its content.
func authMethods(a Auth, getenv func(string) string) ([]ssh.AuthMethod, error) {
	switch {
	case a.PasswordEnv != "" || a.PasswordFile != "":
		pw, err := readSecret("password", a.PasswordEnv, a.PasswordFile, getenv)
		if err != nil {
			return nil, err
		}
		answer := func(_, _ string, questions []string, _ []bool) ([]string, error) {
			answers := make([]string, len(questions))
			for i := range answers {
				answers[i] = pw
			}
			return answers, nil
		}
		return []ssh.AuthMethod{ssh.Password(pw), ssh.KeyboardInteractive(answer)}, nil
	case a.PrivateKeyFile != "" || a.PrivateKeyEnv != "":
		pem, err := readSecret("private key", a.PrivateKeyEnv, a.PrivateKeyFile, getenv)
		if err != nil {
			return nil, err
		}
		source := "private key file " + a.PrivateKeyFile
		if a.PrivateKeyEnv != "" {
			source = "private key from $" + a.PrivateKeyEnv
		}
		var signer ssh.Signer
		if a.PassphraseEnv != "" || a.PassphraseFile != "" {
			pass, err := readSecret("passphrase", a.PassphraseEnv, a.PassphraseFile, getenv)
			if err != nil {
				return nil, err
			}
			signer, err = ssh.ParsePrivateKeyWithPassphrase([]byte(pem), []byte(pass))
			if err != nil {
				return nil, fmt.Errorf("%w: %s cannot be decrypted with the passphrase given (%s)", ErrAuth, source, keyErrorKind(err))
			}
		} else {
			signer, err = ssh.ParsePrivateKey([]byte(pem))
			if err != nil {
				var missing *ssh.PassphraseMissingError
				if errors.As(err, &missing) {
					return nil, fmt.Errorf("%w: %s is encrypted and no passphrase is configured", ErrAuth, source)
				}
				return nil, fmt.Errorf("%w: %s is not a valid private key (%s)", ErrAuth, source, keyErrorKind(err))
			}
		}
		return []ssh.AuthMethod{ssh.PublicKeys(signer)}, nil
	}
	return nil, &FieldError{Field: "Auth", Reason: "no credentials configured"}
}

// keyErrorKind describes a key parsing error without quoting key material.
func keyErrorKind(err error) string {
	msg := err.Error()
	switch {
	case errors.Is(err, x509.IncorrectPasswordError), strings.Contains(msg, "password incorrect"):
		return "wrong passphrase"
	case strings.Contains(msg, "no key found"):
		return "no PEM block found"
	default:
		return "unsupported or corrupt key"
	}
}

// readSecret reads a secret from the environment variable env or the file
// file (one of them set). A trailing newline is removed from file content.
func readSecret(what, env, file string, getenv func(string) string) (string, error) {
	if env != "" {
		v := getenv(env)
		if v == "" {
			return "", fmt.Errorf("%w: the %s environment variable $%s is empty or unset", ErrAuth, what, env)
		}
		return v, nil
	}
	b, err := os.ReadFile(file)
	if err != nil {
		var pe *os.PathError
		reason := "cannot be read"
		if errors.As(err, &pe) {
			reason = pe.Err.Error()
		}
		return "", fmt.Errorf("%w: %s file %s: %s", ErrAuth, what, file, reason)
	}
	v := strings.TrimRight(string(b), "\r\n")
	if v == "" {
		return "", fmt.Errorf("%w: %s file %s is empty", ErrAuth, what, file)
	}
	return v, nil
}
