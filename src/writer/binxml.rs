//! Encodes template instances as BinXML into a chunk buffer: names inline on
//! first use, template definitions resident once per chunk, typed values.

use super::WriterError;
use super::hash::name_hash;
use super::template::{AttrValue, Element, Node, Subst, Template};
use super::value::Instance;
use super::value::Value;
use crate::ingest::binxml::vocab::{NO_DEPENDENCY, push_utf16, token, value_type, with_more_flag};
use std::collections::HashMap;

/// What a chunk already holds: name entries and template definitions by
/// offset, plus those added by the record being written (so that a record
/// that does not fit can be taken back).
#[derive(Debug, Default)]
pub struct Resident {
    names: HashMap<String, u32>,
    templates: HashMap<[u8; 16], u32>,
    /// Name entries added since the last commit: (name, entry offset).
    pub new_names: Vec<(String, u32)>,
    /// Template definitions added since the last commit: (GUID, offset).
    pub new_templates: Vec<([u8; 16], u32)>,
}

impl Resident {
    /// Forgets what the current record added.
    pub fn rollback(&mut self) {
        for (name, _) in self.new_names.drain(..) {
            self.names.remove(&name);
        }
        for (guid, _) in self.new_templates.drain(..) {
            self.templates.remove(&guid);
        }
    }
}

/// Writes BinXML at the end of `buf`, whose index 0 is the chunk's first byte.
pub struct Encoder<'a> {
    /// The chunk bytes written so far.
    pub buf: &'a mut Vec<u8>,
    /// Names and templates already in the chunk.
    pub resident: &'a mut Resident,
}

impl Encoder<'_> {
    fn pos(&self) -> Result<u32, WriterError> {
        u32::try_from(self.buf.len()).map_err(|_| WriterError::RecordTooLarge(self.buf.len()))
    }

    fn u16(&mut self, v: u16) {
        self.buf.extend_from_slice(&v.to_le_bytes());
    }

    fn u32(&mut self, v: u32) {
        self.buf.extend_from_slice(&v.to_le_bytes());
    }

    /// Reserves a u32 to patch later; returns its position.
    fn placeholder(&mut self) -> usize {
        let at = self.buf.len();
        self.u32(0);
        at
    }

    /// Patches the u32 at `at` with the number of bytes written after it.
    fn patch_len(&mut self, at: usize) -> Result<(), WriterError> {
        let len = self.buf.len() - at - 4;
        let len = u32::try_from(len).map_err(|_| WriterError::RecordTooLarge(len))?;
        self.buf[at..at + 4].copy_from_slice(&len.to_le_bytes());
        Ok(())
    }

    /// A fragment holding one template instance, then EOF.
    pub fn fragment(&mut self, instance: &Instance) -> Result<(), WriterError> {
        self.buf.extend_from_slice(&token::FRAGMENT_HEADER_BYTES);
        self.instance(instance)?;
        self.buf.push(token::EOF);
        Ok(())
    }

    fn instance(&mut self, instance: &Instance) -> Result<(), WriterError> {
        let template = &instance.template;
        check_values(template, &instance.values)?;
        self.buf.push(token::TEMPLATE_INSTANCE);
        self.buf.push(token::TEMPLATE_INSTANCE_VERSION);
        self.u32(template.id());
        match self.resident.templates.get(&template.guid) {
            Some(&offset) => self.u32(offset),
            None => {
                let here = self.pos()? + 4;
                self.u32(here);
                self.definition(template, here)?;
            }
        }
        self.u32(u32::try_from(instance.values.len()).unwrap_or(u32::MAX));
        let descriptors = self.buf.len();
        for value in &instance.values {
            self.u16(0);
            self.buf.push(value.value_type().code());
            self.buf.push(0);
        }
        for (i, value) in instance.values.iter().enumerate() {
            let start = self.buf.len();
            match value {
                Value::BinXml(inner) => self.fragment(inner)?,
                other => other.write(self.buf),
            }
            let size = self.buf.len() - start;
            let size = u16::try_from(size).map_err(|_| WriterError::ValueTooLarge(size))?;
            let at = descriptors + 4 * i;
            self.buf[at..at + 2].copy_from_slice(&size.to_le_bytes());
        }
        Ok(())
    }

    fn definition(&mut self, template: &Template, offset: u32) -> Result<(), WriterError> {
        self.u32(0); // next definition in the bucket, linked on commit
        self.buf.extend_from_slice(&template.guid);
        let size_at = self.placeholder();
        self.buf.extend_from_slice(&token::FRAGMENT_HEADER_BYTES);
        self.element(&template.root)?;
        self.buf.push(token::EOF);
        self.patch_len(size_at)?;
        self.resident.templates.insert(template.guid, offset);
        self.resident.new_templates.push((template.guid, offset));
        Ok(())
    }

    fn element(&mut self, e: &Element) -> Result<(), WriterError> {
        self.buf.push(if e.attrs.is_empty() {
            token::OPEN_START
        } else {
            with_more_flag(token::OPEN_START)
        });
        self.u16(e.dependency.unwrap_or(NO_DEPENDENCY));
        let size_at = self.placeholder();
        self.name(&e.name)?;
        if !e.attrs.is_empty() {
            let attrs_at = self.placeholder();
            for (i, (name, value)) in e.attrs.iter().enumerate() {
                let last = i + 1 == e.attrs.len();
                self.buf.push(if last {
                    token::ATTRIBUTE
                } else {
                    with_more_flag(token::ATTRIBUTE)
                });
                self.name(name)?;
                match value {
                    AttrValue::Text(t) => self.text(t)?,
                    AttrValue::Subst(s) => self.subst(s),
                }
            }
            self.patch_len(attrs_at)?;
        }
        if e.children.is_empty() {
            self.buf.push(token::CLOSE_EMPTY);
        } else {
            self.buf.push(token::CLOSE_START);
            for child in &e.children {
                match child {
                    Node::Element(c) => self.element(c)?,
                    Node::Text(t) => self.text(t)?,
                    Node::Subst(s) => self.subst(s),
                }
            }
            self.buf.push(token::END);
        }
        self.patch_len(size_at)
    }

    fn text(&mut self, text: &str) -> Result<(), WriterError> {
        let units = text.encode_utf16().count();
        let units = u16::try_from(units).map_err(|_| WriterError::ValueTooLarge(units * 2))?;
        self.buf.push(token::VALUE);
        self.buf.push(value_type::STRING);
        self.u16(units);
        push_utf16(self.buf, text);
        Ok(())
    }

    fn subst(&mut self, s: &Subst) {
        self.buf.push(if s.optional {
            token::OPTIONAL_SUBST
        } else {
            token::NORMAL_SUBST
        });
        self.u16(s.index);
        self.buf.push(s.ty.code());
    }

    /// A name reference; the entry follows inline the first time the chunk sees the name.
    fn name(&mut self, name: &str) -> Result<(), WriterError> {
        if let Some(&offset) = self.resident.names.get(name) {
            self.u32(offset);
            return Ok(());
        }
        let entry = self.pos()? + 4;
        let units = name.encode_utf16().count();
        let units = u16::try_from(units).map_err(|_| WriterError::ValueTooLarge(units * 2))?;
        self.u32(entry);
        self.u32(0); // next name in the bucket, linked on commit
        self.u16((name_hash(name) & 0xFFFF) as u16);
        self.u16(units);
        push_utf16(self.buf, name);
        self.u16(0);
        self.resident.names.insert(name.to_string(), entry);
        self.resident.new_names.push((name.to_string(), entry));
        Ok(())
    }
}

/// Every substitution of the template must have a value.
fn check_values(template: &Template, values: &[Value]) -> Result<(), WriterError> {
    if values.len() < template.values_needed {
        return Err(WriterError::MissingValues {
            needed: template.values_needed,
            given: values.len(),
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::writer::template::{DataShape, data_template};
    use crate::writer::value::ValueType;
    use std::sync::Arc;

    #[test]
    fn names_are_inline_once_then_referenced() {
        let mut buf = vec![0u8; 512];
        let mut resident = Resident::default();
        let mut enc = Encoder {
            buf: &mut buf,
            resident: &mut resident,
        };
        enc.name("Event").unwrap();
        enc.name("Event").unwrap();
        // Reference to 516, entry (next 0, hash 0x0cba, 5 units, "Event", NUL), then reference 516.
        assert_eq!(&buf[512..516], &516u32.to_le_bytes());
        assert_eq!(&buf[516..522], &[0, 0, 0, 0, 0xba, 0x0c]);
        assert_eq!(&buf[522..524], &5u16.to_le_bytes());
        assert_eq!(buf.len(), 516 + 10 + 10 + 4);
        assert_eq!(&buf[buf.len() - 4..], &516u32.to_le_bytes());
    }

    #[test]
    fn a_template_is_defined_once_and_then_referenced() {
        let t = Arc::new(data_template(
            DataShape::Named,
            &[("SessionID", ValueType::UInt32)],
        ));
        let inst = Instance {
            template: t,
            values: vec![Value::UInt32(7)],
        };
        let mut buf = vec![0u8; 512];
        let mut resident = Resident::default();
        let mut enc = Encoder {
            buf: &mut buf,
            resident: &mut resident,
        };
        enc.fragment(&inst).unwrap();
        let first = enc.buf.len() - 512;
        enc.fragment(&inst).unwrap();
        let second = enc.buf.len() - 512 - first;
        // fragment 4 + instance header 10 + count 4 + descriptor 4 + value 4 + EOF 1
        assert_eq!(second, 27);
        assert!(first > second + 24);
        assert_eq!(resident.new_templates.len(), 1);
        let short = Instance {
            template: inst.template.clone(),
            values: vec![],
        };
        let mut enc = Encoder {
            buf: &mut buf,
            resident: &mut resident,
        };
        assert!(matches!(
            enc.fragment(&short),
            Err(WriterError::MissingValues { .. })
        ));
    }
}
