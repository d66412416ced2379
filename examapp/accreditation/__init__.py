"""The accreditation of a cycle's units beyond the exam: recommendations, the three other checks
(一听 hearing, 二看 inspection, 三查 on-site check) and the office's decision, each in its own
package; the record pages, the shared outcome shape, uploads storage and exports beside them."""
