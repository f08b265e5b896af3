use super::State;
use super::State::*;

impl State {
    /// The states a signal in `self` may move to next, in the order of the
    /// table in spec 02 §2 (the reference's `ALLOWED_STATUS_CHANGES`).
    /// Self-transitions only where listed; `s` is terminal and nothing leads
    /// into `''`, `h` or `s`.
    pub const fn allowed_next(self) -> &'static [State] {
        match self {
            Leeg => &[Gemeld],
            Gemeld => &[
                Gemeld,
                Afwachting,
                Behandeling,
                TeVerzenden,
                Afgehandeld,
                Geannuleerd,
                Ingepland,
                ReactieGevraagd,
                DoorgezetNaarExtern,
            ],
            Afwachting => &[
                Gemeld,
                Afwachting,
                Ingepland,
                VerzoekTotAfhandeling,
                Afgehandeld,
                TeVerzenden,
                Behandeling,
                Geannuleerd,
                ReactieGevraagd,
                DoorgezetNaarExtern,
            ],
            Behandeling => &[
                Gemeld,
                Ingepland,
                Behandeling,
                Afgehandeld,
                Geannuleerd,
                TeVerzenden,
                VerzoekTotAfhandeling,
                ReactieGevraagd,
                DoorgezetNaarExtern,
            ],
            Ingepland => &[
                Gemeld,
                Ingepland,
                Behandeling,
                Afgehandeld,
                Geannuleerd,
                VerzoekTotAfhandeling,
                ReactieGevraagd,
                DoorgezetNaarExtern,
            ],
            OnHold => &[Ingepland, Geannuleerd],
            TeVerzenden => &[Verzonden, VerzendenMislukt, Geannuleerd],
            Verzonden => &[AfgehandeldExtern, Geannuleerd],
            VerzendenMislukt => &[Gemeld, TeVerzenden, Geannuleerd],
            AfgehandeldExtern => &[Afgehandeld, Geannuleerd, Behandeling],
            Afgehandeld => &[Heropend, VerzoekTotHeropenen],
            Geannuleerd => &[Geannuleerd, Heropend, Behandeling],
            Heropend => &[
                Heropend,
                Behandeling,
                Afgehandeld,
                Geannuleerd,
                TeVerzenden,
                Gemeld,
                ReactieGevraagd,
                DoorgezetNaarExtern,
            ],
            Gesplitst => &[],
            VerzoekTotAfhandeling => &[
                Gemeld,
                VerzoekTotAfhandeling,
                Afwachting,
                Afgehandeld,
                Geannuleerd,
                Behandeling,
                DoorgezetNaarExtern,
            ],
            VerzoekTotHeropenen => &[Afgehandeld, Heropend, Geannuleerd],
            ReactieGevraagd => &[
                Gemeld,
                Afwachting,
                Behandeling,
                Ingepland,
                Afgehandeld,
                Geannuleerd,
                ReactieGevraagd,
                ReactieOntvangen,
                TeVerzenden,
                DoorgezetNaarExtern,
            ],
            ReactieOntvangen => &[
                Gemeld,
                Afwachting,
                Behandeling,
                Afgehandeld,
                Geannuleerd,
                Ingepland,
                ReactieGevraagd,
                TeVerzenden,
                DoorgezetNaarExtern,
            ],
            DoorgezetNaarExtern => &[
                VerzoekTotAfhandeling,
                Gemeld,
                Afwachting,
                Behandeling,
                DoorgezetNaarExtern,
                Ingepland,
                Afgehandeld,
                Geannuleerd,
                ReactieGevraagd,
                ReactieOntvangen,
                TeVerzenden,
            ],
        }
    }

    /// Whether the table of spec 02 §2 allows `self → to` (whoever asks).
    pub fn can_transition_to(self, to: State) -> bool {
        self.allowed_next().contains(&to)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The 19 × 19 transition table of spec 02 §2, written out cell by cell.
    /// Row = current state, column = requested state; `X` = allowed,
    /// `.` = refused. Abbreviations: `in` ingepland, `rs` ready to send,
    /// `ro` reopened, `cr` closure requested, `rq` reaction requested, `rr`
    /// reaction received, `fe` forward to external, `st` sent, `sf` send
    /// failed, `de` done external, `rp` reopen requested.
    const EXPECTED: &str = "
                        ''  m  i  b  h in rs  o  a ro  s cr rq rr fe st sf de rp
        ''               .  X  .  .  .  .  .  .  .  .  .  .  .  .  .  .  .  .  .
        m                .  X  X  X  .  X  X  X  X  .  .  .  X  .  X  .  .  .  .
        i                .  X  X  X  .  X  X  X  X  .  .  X  X  .  X  .  .  .  .
        b                .  X  .  X  .  X  X  X  X  .  .  X  X  .  X  .  .  .  .
        h                .  .  .  .  .  X  .  .  X  .  .  .  .  .  .  .  .  .  .
        in               .  X  .  X  .  X  .  X  X  .  .  X  X  .  X  .  .  .  .
        rs               .  .  .  .  .  .  .  .  X  .  .  .  .  .  .  X  X  .  .
        o                .  .  .  .  .  .  .  .  .  X  .  .  .  .  .  .  .  .  X
        a                .  .  .  X  .  .  .  .  X  X  .  .  .  .  .  .  .  .  .
        ro               .  X  .  X  .  .  X  X  X  X  .  .  X  .  X  .  .  .  .
        s                .  .  .  .  .  .  .  .  .  .  .  .  .  .  .  .  .  .  .
        cr               .  X  X  X  .  .  .  X  X  .  .  X  .  .  X  .  .  .  .
        rq               .  X  X  X  .  X  X  X  X  .  .  .  X  X  X  .  .  .  .
        rr               .  X  X  X  .  X  X  X  X  .  .  .  X  .  X  .  .  .  .
        fe               .  X  X  X  .  X  X  X  X  .  .  X  X  X  X  .  .  .  .
        st               .  .  .  .  .  .  .  .  X  .  .  .  .  .  .  .  .  X  .
        sf               .  X  .  .  .  .  X  .  X  .  .  .  .  .  .  .  .  .  .
        de               .  .  .  X  .  .  .  X  X  .  .  .  .  .  .  .  .  .  .
        rp               .  .  .  .  .  .  .  X  X  X  .  .  .  .  .  .  .  .  .
    ";

    fn state_for(abbreviation: &str) -> State {
        match abbreviation {
            "''" => Leeg,
            "in" => Ingepland,
            "rs" => TeVerzenden,
            "ro" => Heropend,
            "cr" => VerzoekTotAfhandeling,
            "rq" => ReactieGevraagd,
            "rr" => ReactieOntvangen,
            "fe" => DoorgezetNaarExtern,
            "st" => Verzonden,
            "sf" => VerzendenMislukt,
            "de" => AfgehandeldExtern,
            "rp" => VerzoekTotHeropenen,
            code => State::from_code(code).expect("a one-letter code"),
        }
    }

    /// `(from, to, allowed)` for every cell of [`EXPECTED`].
    fn expected_cells() -> Vec<(State, State, bool)> {
        let mut lines = EXPECTED.lines().filter(|line| !line.trim().is_empty());
        let header: Vec<State> = lines
            .next()
            .expect("a header")
            .split_whitespace()
            .map(state_for)
            .collect();
        let mut cells = Vec::new();
        for line in lines {
            let mut words = line.split_whitespace();
            let from = state_for(words.next().expect("a row label"));
            let row: Vec<&str> = words.collect();
            assert_eq!(row.len(), header.len(), "row {from:?}");
            for (to, cell) in header.iter().zip(row) {
                let allowed = match cell {
                    "X" => true,
                    "." => false,
                    other => panic!("cell `{other}` is neither X nor ."),
                };
                cells.push((from, *to, allowed));
            }
        }
        cells
    }

    #[test]
    fn every_cell_of_the_transition_table_matches_the_spec() {
        let cells = expected_cells();
        assert_eq!(cells.len(), 19 * 19);
        for (from, to, allowed) in &cells {
            assert_eq!(
                from.can_transition_to(*to),
                *allowed,
                "`{from}` → `{to}` should be {}",
                if *allowed { "allowed" } else { "refused" }
            );
        }
        for state in State::ALL {
            let rows = cells.iter().filter(|(from, ..)| *from == state).count();
            let columns = cells.iter().filter(|(_, to, _)| *to == state).count();
            assert_eq!(
                (rows, columns),
                (19, 19),
                "{state:?} has one row and one column"
            );
        }
    }

    #[test]
    fn the_allowed_lists_have_no_duplicates_and_follow_the_spec_counts() {
        for state in State::ALL {
            let next = state.allowed_next();
            for (i, a) in next.iter().enumerate() {
                assert!(!next[i + 1..].contains(a), "{state:?} lists {a:?} twice");
            }
        }
        let total: usize = State::ALL.iter().map(|s| s.allowed_next().len()).sum();
        assert_eq!(total, 103);
    }

    #[test]
    fn nothing_leads_into_the_empty_on_hold_or_split_states() {
        for from in State::ALL {
            for into in [Leeg, OnHold, Gesplitst] {
                assert!(!from.can_transition_to(into), "{from:?} → {into:?}");
            }
        }
        assert!(Gesplitst.allowed_next().is_empty());
    }

    #[test]
    fn a_closed_signal_is_left_only_by_reopening_or_back_to_in_behandeling() {
        assert_eq!(Afgehandeld.allowed_next(), &[Heropend, VerzoekTotHeropenen]);
        assert_eq!(
            Geannuleerd.allowed_next(),
            &[Geannuleerd, Heropend, Behandeling]
        );
    }
}
