//! Typed identifiers: positive integers that cannot be mixed up with one another.

use std::fmt;

macro_rules! id_type {
    ($(#[$meta:meta])* $name:ident) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub struct $name(i64);

        impl $name {
            /// Wraps a raw id; `None` unless it is positive.
            pub fn new(raw: i64) -> Option<Self> {
                (raw > 0).then_some(Self(raw))
            }

            /// The raw integer, as stored and as shown to clients.
            pub fn get(self) -> i64 {
                self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.fmt(f)
            }
        }
    };
}

id_type!(
    /// Identifies a user account.
    UserId
);
id_type!(
    /// Identifies an event.
    EventId
);
id_type!(
    /// Identifies a ticket of an event's on-sale queue.
    QueueTicketId
);
id_type!(
    /// Identifies a ticket tier (a price category) of an event.
    TierId
);
id_type!(
    /// Identifies a booking.
    BookingId
);
id_type!(
    /// Identifies a hold.
    HoldId
);
id_type!(
    /// Identifies a waitlist entry.
    WaitlistEntryId
);
id_type!(
    /// Identifies a notification.
    NotificationId
);
id_type!(
    /// Identifies a ticket.
    TicketId
);
id_type!(
    /// Identifies a webhook endpoint.
    EndpointId
);
id_type!(
    /// Identifies a webhook message (one change).
    MessageId
);
id_type!(
    /// Identifies the delivery of one message to one endpoint.
    DeliveryId
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_positive() {
        assert!(EventId::new(0).is_none());
        assert!(EventId::new(-3).is_none());
        assert_eq!(EventId::new(7).map(EventId::get), Some(7));
    }
}
