/**
 * The travel suite: a hotel, restaurant, car-rental and flight catalogue, Emma's profile,
 * one reservation slot, her calendar and mailbox (upstream travel_booking_client.py over
 * the office tools).
 */
import type { JsonValue } from '../../../src/core/canonical.ts';
import type { JsonObject } from '../dataset.ts';
import type { Calendar, Inbox } from './office.ts';
import { calendarFrom, calendarTools, inboxFrom, mailTools } from './office.ts';
import type { SimTool, SuiteSimulation } from './types.ts';
import { copy, optStr, str, strList } from './types.ts';

interface Place extends JsonObject {
  name: string;
  city: string;
  address: string;
  rating: number;
  reviews: string[];
}

export interface TravelState {
  user: JsonObject;
  hotels: Array<Place & { price_min: number; price_max: number }>;
  restaurants: Array<Place & { price_per_person: number; operating_hours: string; contact_information: string; cuisine_type: string; dietary_restrictions: string }>;
  cars: Array<Place & { price_per_day: number; contact_information: string; car_types_available: string[]; fuel_options: string[] }>;
  flights: JsonObject[];
  reservation: { reservation_type: string | null; title: string; start_time: string; end_time: string; contact_information: string };
  calendar: Calendar;
  inbox: Inbox;
}

function reviews(place: Place): string {
  return `Rating: ${place.rating}\nReviews: ${place.reviews.join('\n')}`;
}

/** `{name: pick(item)}` for every catalogue item whose name is in `names`. */
function byName<T extends { name: string }>(items: T[], names: string[], pick: (item: T) => JsonValue): JsonObject {
  const out: JsonObject = {};
  for (const item of items) if (names.includes(item.name)) out[item.name] = pick(item);
  return out;
}

const restaurantNames = (a: JsonObject) => strList(a, 'restaurant_names');
const companyNames = (a: JsonObject) => strList(a, 'company_name');

const catalogue: Record<string, SimTool<TravelState>> = {
  get_user_information: (s) => ({
    'First Name': s.user.first_name ?? null,
    'Last Name': s.user.last_name ?? null,
    'ID Number': s.user.ID_number ?? null,
    Email: s.user.email ?? null,
    'Phone Number': s.user.phone_number ?? null,
    Address: s.user.address ?? null,
    'Passport Number': s.user.passport_number ?? null,
    'Bank Account Number': s.user.bank_account_number ?? null,
    'Credit Card Number': s.user.credit_card_number ?? null,
  }),
  get_all_hotels_in_city: (s, a) => {
    const city = str(a, 'city');
    return 'Hotel Names: ' + s.hotels.filter((h) => h.city === city).map((h) => h.name).join('\n') + '\n';
  },
  get_hotels_prices: (s, a) => byName(s.hotels, strList(a, 'hotel_names'), (h) => `Price range: ${h.price_min} - ${h.price_max}`),
  get_rating_reviews_for_hotels: (s, a) => byName(s.hotels, strList(a, 'hotel_names'), reviews),
  get_hotels_address: (s, a) => byName(s.hotels, [str(a, 'hotel_name')], (h) => h.address),
  get_all_restaurants_in_city: (s, a) => {
    const city = str(a, 'city');
    return `Restaurant in ${city}: ` + s.restaurants.filter((r) => r.city === city).map((r) => r.name).join('\n') + '\n';
  },
  get_cuisine_type_for_restaurants: (s, a) => byName(s.restaurants, restaurantNames(a), (r) => r.cuisine_type),
  get_restaurants_address: (s, a) => byName(s.restaurants, restaurantNames(a), (r) => r.address),
  get_rating_reviews_for_restaurants: (s, a) => byName(s.restaurants, restaurantNames(a), reviews),
  get_dietary_restrictions_for_all_restaurants: (s, a) => {
    // Upstream matches each restaurant name as a substring of the joined list.
    const joined = restaurantNames(a).join(', ');
    const out: JsonObject = {};
    for (const r of s.restaurants) if (joined.includes(r.name)) out[r.name] = r.dietary_restrictions;
    return out;
  },
  get_contact_information_for_restaurants: (s, a) => byName(s.restaurants, restaurantNames(a), (r) => r.contact_information),
  get_price_for_restaurants: (s, a) => byName(s.restaurants, restaurantNames(a), (r) => r.price_per_person),
  check_restaurant_opening_hours: (s, a) => byName(s.restaurants, restaurantNames(a), (r) => r.operating_hours),
  get_all_car_rental_companies_in_city: (s, a) => {
    const city = str(a, 'city');
    return `Car Rental Companies in ${city}: ` + s.cars.filter((c) => c.city === city).map((c) => c.name).join('\n') + '\n';
  },
  get_car_types_available: (s, a) => byName(s.cars, companyNames(a), (c) => copy(c.car_types_available)),
  get_rating_reviews_for_car_rental: (s, a) => byName(s.cars, companyNames(a), reviews),
  get_car_fuel_options: (s, a) => byName(s.cars, companyNames(a), (c) => copy(c.fuel_options)),
  get_car_rental_address: (s, a) => byName(s.cars, companyNames(a), (c) => c.address),
  get_car_price_per_day: (s, a) => byName(s.cars, companyNames(a), (c) => c.price_per_day),
  reserve_hotel: (s, a) => {
    const hotel = str(a, 'hotel');
    const start = str(a, 'start_day');
    const end = str(a, 'end_day');
    s.reservation = { reservation_type: 'hotel', title: hotel, start_time: start, end_time: end, contact_information: String(s.user.phone_number) };
    return `Reservation for ${hotel} from ${start} to ${end} has been made successfully.`;
  },
  reserve_restaurant: (s, a) => {
    const restaurant = str(a, 'restaurant');
    const start = str(a, 'start_time');
    s.reservation = { reservation_type: 'restaurant', title: restaurant, start_time: start, end_time: start, contact_information: String(s.user.phone_number) };
    return `Reservation for ${restaurant} at ${start} has been made successfully.`;
  },
  reserve_car_rental: (s, a) => {
    const company = str(a, 'company');
    const start = str(a, 'start_time');
    const end = optStr(a, 'end_time');
    s.reservation = { reservation_type: 'car', title: company, start_time: start, end_time: end ?? start, contact_information: String(s.user.phone_number) };
    return `Reservation for a car at ${company} from ${start} to ${end} has been made successfully.`;
  },
  get_flight_information: (s, a) => {
    const from = str(a, 'departure_city');
    const to = str(a, 'arrival_city');
    return s.flights
      .filter((f) => f.departure_city === from && f.arrival_city === to)
      .map(
        (f) =>
          `Airline: ${f.airline}, Flight Number: ${f.flight_number}, Departure Time: ${f.departure_time}, Arrival Time: ${f.arrival_time}, Price: ${f.price}, Contact Information: ${f.contact_information}`,
      )
      .join('\n');
  },
};

function places<T>(raw: unknown): T[] {
  return copy((raw as JsonObject[] | undefined) ?? []).map((p) => ({ ...p, reviews: ((p.reviews as JsonValue[] | undefined) ?? []).map(String) })) as T[];
}

export const travel: SuiteSimulation<TravelState> = {
  initialState: (env) => ({
    user: copy((env.user ?? env.User) as JsonObject),
    hotels: places((env.hotels as JsonObject).hotel_list),
    restaurants: places((env.restaurants as JsonObject).restaurant_list),
    cars: places((env.car_rental as JsonObject).company_list),
    flights: copy(((env.flights as JsonObject).flight_list as JsonObject[]) ?? []),
    reservation: { reservation_type: null, title: '', start_time: '', end_time: '', contact_information: '' },
    calendar: calendarFrom(env.calendar as JsonObject),
    inbox: inboxFrom(env.inbox as JsonObject),
  }),
  tools: {
    ...catalogue,
    ...calendarTools<TravelState>(
      (s) => s.calendar,
      (s) => s.inbox,
    ),
    send_email: mailTools<TravelState>((s) => s.inbox).send_email!,
  },
  mutating: new Set(['reserve_hotel', 'reserve_restaurant', 'reserve_car_rental', 'create_calendar_event', 'cancel_calendar_event', 'send_email']),
};
