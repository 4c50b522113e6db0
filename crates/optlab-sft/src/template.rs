//! Chat examples, the ChatML template (what SmolLM2-Instruct uses) and tokenisation with a
//! loss mask that covers only the assistant's tokens.

use crate::error::{bail, Result};
use optlab_core::tokenizer::Tokenizer;
use serde::{Deserialize, Serialize};

pub use optlab_core::tokenizer::{IM_END, IM_START};

/// One chat turn.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Message {
    /// `system`, `user` or `assistant`.
    pub role: String,
    /// The text of the turn.
    pub content: String,
}

impl Message {
    /// A turn with `role` and `content`.
    pub fn new(role: &str, content: impl Into<String>) -> Self {
        Self {
            role: role.into(),
            content: content.into(),
        }
    }
}

/// One SFT example: a conversation whose assistant turns are trained on, and, for checkable
/// tasks, the reference final answer used by pass@n.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SftExample {
    /// The turns, in order.
    pub messages: Vec<Message>,
    /// Reference answer (e.g. a number), when the task is checkable.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub answer: Option<String>,
}

impl SftExample {
    /// A single-turn example: user `prompt`, assistant `response`.
    pub fn single(prompt: impl Into<String>, response: impl Into<String>) -> Self {
        Self {
            messages: vec![
                Message::new("user", prompt),
                Message::new("assistant", response),
            ],
            answer: None,
        }
    }

    /// The turns before the last assistant turn (what a model is prompted with).
    pub fn prompt_messages(&self) -> &[Message] {
        let end = self
            .messages
            .iter()
            .rposition(|m| m.role == "assistant")
            .unwrap_or(self.messages.len());
        &self.messages[..end]
    }

    /// The last assistant turn's text, if any.
    pub fn response(&self) -> Option<&str> {
        self.messages
            .iter()
            .rev()
            .find(|m| m.role == "assistant")
            .map(|m| m.content.as_str())
    }
}

/// Token ids of a templated conversation with its loss mask.
#[derive(Debug, Clone, PartialEq)]
pub struct Encoded {
    /// Token ids.
    pub ids: Vec<u32>,
    /// `true` where the token is one the model is trained to produce (assistant content and
    /// its closing [`IM_END`]).
    pub trained: Vec<bool>,
}

fn push(out: &mut Encoded, tok: &dyn Tokenizer, text: &str, trained: bool) -> Result<()> {
    let ids = tok.encode(text)?;
    out.trained.extend(std::iter::repeat_n(trained, ids.len()));
    out.ids.extend(ids);
    Ok(())
}

pub(crate) fn check_roles(messages: &[Message]) -> Result<()> {
    for m in messages {
        if !matches!(m.role.as_str(), "system" | "user" | "assistant") {
            bail!(
                "unknown chat role `{}` (expected system, user or assistant)",
                m.role
            );
        }
    }
    Ok(())
}

/// Tokenise `ex` with the ChatML template:
/// `<|im_start|>{role}\n{content}<|im_end|>\n` per turn; assistant contents and their
/// `<|im_end|>` are marked trained, everything else (headers, prompts, newlines) is not.
pub fn encode_chat(tok: &dyn Tokenizer, ex: &SftExample) -> Result<Encoded> {
    check_roles(&ex.messages)?;
    if !ex.messages.iter().any(|m| m.role == "assistant") {
        bail!("example has no assistant turn to train on");
    }
    let mut out = Encoded {
        ids: Vec::new(),
        trained: Vec::new(),
    };
    for m in &ex.messages {
        let is_asst = m.role == "assistant";
        push(&mut out, tok, &format!("{IM_START}{}\n", m.role), false)?;
        push(&mut out, tok, &m.content, is_asst)?;
        push(&mut out, tok, IM_END, is_asst)?;
        push(&mut out, tok, "\n", false)?;
    }
    Ok(out)
}

/// Token ids of the prompt turns followed by the assistant header, ready for generation.
pub fn encode_prompt(tok: &dyn Tokenizer, messages: &[Message]) -> Result<Vec<u32>> {
    check_roles(messages)?;
    let mut text = String::new();
    for m in messages {
        text.push_str(&format!("{IM_START}{}\n{}{IM_END}\n", m.role, m.content));
    }
    text.push_str(&format!("{IM_START}assistant\n"));
    Ok(tok.encode(&text)?)
}

/// Cut generated text at the first [`IM_END`] (for tokenizers where it is several tokens).
pub fn cut_at_end(text: &str) -> &str {
    text.split(IM_END).next().unwrap_or(text)
}

pub use optlab_core::tokenizer::{ChatBytes, CHAT_BYTES_IM_END, CHAT_BYTES_IM_START};

#[cfg(test)]
mod tests {
    use super::*;
    use optlab_core::tokenizer::ByteTokenizer;

    #[test]
    fn only_assistant_tokens_are_trained() {
        let mut ex = SftExample::single("hi", "yo");
        ex.messages.insert(0, Message::new("system", "be brief"));
        let e = encode_chat(&ByteTokenizer, &ex).unwrap();
        let text = String::from_utf8(e.ids.iter().map(|&i| i as u8).collect()).unwrap();
        assert_eq!(
            text,
            "<|im_start|>system\nbe brief<|im_end|>\n<|im_start|>user\nhi<|im_end|>\n<|im_start|>assistant\nyo<|im_end|>\n"
        );
        let trained: String = e
            .ids
            .iter()
            .zip(&e.trained)
            .filter(|(_, &t)| t)
            .map(|(&i, _)| i as u8 as char)
            .collect();
        assert_eq!(trained, "yo<|im_end|>");
        let p = encode_prompt(&ByteTokenizer, ex.prompt_messages()).unwrap();
        assert_eq!(&e.ids[..p.len()], p.as_slice());
    }

    #[test]
    fn chat_bytes_markers_are_single_tokens_and_round_trip() {
        let s = "<|im_start|>user\nhé<|im_end|>\n";
        let ids = ChatBytes.encode(s).unwrap();
        assert_eq!(ids[0], CHAT_BYTES_IM_START);
        assert_eq!(ids.iter().filter(|&&i| i == CHAT_BYTES_IM_END).count(), 1);
        assert_eq!(ids.len(), 2 + "user\nhé\n".len());
        assert_eq!(ChatBytes.decode(&ids).unwrap(), s);
        assert_eq!(cut_at_end("12<|im_end|>\njunk"), "12");
    }

    #[test]
    fn bad_roles_and_missing_assistant_are_errors() {
        let ex = SftExample {
            messages: vec![Message::new("robot", "x"), Message::new("assistant", "y")],
            answer: None,
        };
        assert!(encode_chat(&ByteTokenizer, &ex)
            .unwrap_err()
            .to_string()
            .contains("robot"));
        let ex = SftExample {
            messages: vec![Message::new("user", "x")],
            answer: None,
        };
        assert!(encode_chat(&ByteTokenizer, &ex).is_err());
    }
}
