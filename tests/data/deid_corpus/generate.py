"""Builds narratives.jsonl: synthetic ECHO case texts with every identifier labelled.

Run ``python tests/data/deid_corpus/generate.py`` to rewrite the corpus. Templates are case
presentations as spoke clinicians write them (substance use, co-occurring disorders, pain and
opioids, HIV/ART) in Spanish, Portuguese, English and French. Slots such as ``{name}`` are
filled from per-country persons and the exact character span of each planted value is
recorded with its kind. Check digits are computed so national numbers are valid. Every
person, number and address is invented. Some names are deliberately absent from the
registry's lexicons, so recall is not measured only on names the scrubber already knows.
"""

from __future__ import annotations

import json
import random
import re
from pathlib import Path

from stdnum import luhn
from stdnum.br import cpf
from stdnum.cl import rut
from stdnum.fr import nir
from stdnum.mx import curp

HERE = Path(__file__).parent
SLOT = re.compile(r"\{(\w+)\}")
KINDS = {
    "name": "name", "first": "name", "rel": "name", "doc": "name", "nick": "name",
    "peer": "name", "phone": "phone", "phone2": "phone", "fax": "phone", "email": "email",
    "url": "url", "ip": "ip", "nid": "id", "nid2": "id", "mrn": "id", "plan": "id",
    "plate": "id", "serial": "id", "license": "id", "account": "id", "street": "address",
    "postal": "postcode", "town": "location", "date1": "date", "date2": "date",
    "date3": "date", "age90": "age",
}


def _cpf(seed: str) -> str:
    digits = seed
    for weight in (10, 11):
        total = sum(int(d) * (weight - i) for i, d in enumerate(digits))
        digits += str(total * 10 % 11 % 10)
    assert cpf.is_valid(digits)
    return f"{digits[:3]}.{digits[3:6]}.{digits[6:9]}-{digits[9:]}"


def _cns(seed: str) -> str:
    """A 15-digit CNS starting with 7 whose weighted sum is divisible by 11."""
    base = "7" + seed[:13]
    for last in range(10):
        digits = base + str(last)
        if sum(int(d) * (15 - i) for i, d in enumerate(digits)) % 11 == 0:
            return f"{digits[:3]} {digits[3:7]} {digits[7:11]} {digits[11:]}"
    return _cns(str(int(seed) + 1))


def _curp(head: str) -> str:
    return head + curp.calc_check_digit(head + "0")


def _rut(body: str) -> str:
    check = rut.calc_check_digit(body)
    return f"{body[:-6]}.{body[-6:-3]}.{body[-3:]}-{check}"


def _sin(seed: str) -> str:
    digits = seed + luhn.calc_check_digit(seed)
    return f"{digits[:3]} {digits[3:6]} {digits[6:]}"


def _nir(seed: str) -> str:
    key = nir.calc_check_digits(seed)
    return f"{seed[0]} {seed[1:3]} {seed[3:5]} {seed[5:7]} {seed[7:10]} {seed[10:13]} {key}"


PERSONS = {
    "mx": [
        dict(name="María Guadalupe Hernández Soto", first="Lupita", rel="Juan Carlos",
             doc="Montiel", nick="la |Güera", peer="Rogelio Tzompa", phone="55 5123 4567",
             phone2="+52 33 1234 5678", fax="55 5987 6543", email="lupita.hs@hotmail.com",
             url="https://www.facebook.com/lupita.hernandez.soto", ip="201.141.22.19",
             nid=_curp("HESG850314MDFRTD0"), nid2="NSS |12038512345", mrn="2023-045871",
             plan="IMSS |4517-85-1234", plate="NKL-482-C", serial="SN-77412093",
             license="LIC |0912345678", account="0123 4567 8901",
             street="Calle Francisco I. Madero 215, Col. Centro", postal="06000",
             town="Ecatepec de Morelos", date1="14/03/2023", date2="2 de agosto de 2022",
             date3="enero de 2024", age90="92"),
        dict(name="José Luis Ramírez Cortés", first="José Luis", rel="Maricela",
             doc="Iturbide", nick="el |Chino", peer="Anacleto Xicoténcatl", phone="81 8345 6789",
             phone2="+52 664 123 4567", fax="81 8345 0000", email="jl.ramirez77@gmail.com",
             url="www.tiktok.com/@chino_rmz", ip="189.203.7.44",
             nid=_curp("RACL770921HNLMRS0"), nid2="NSS |43977712345", mrn="EXP-558213",
             plan="póliza |88-431-2207", plate="RTZ-913-B", serial="IMEI |356938035643809",
             license="licencia |04A1234567", account="cuenta |4152 3138 0012 7744",
             street="Av. Constitución 1450 Pte., Col. Obispado", postal="64060",
             town="Guadalupe", date1="21/09/2023", date2="5 de mayo de 2021",
             date3="noviembre de 2023", age90="94"),
    ],
    "ar": [
        dict(name="Florencia Belén Giménez", first="Florencia", rel="Matías",
             doc="Scarpatti", nick="la |Flaca", peer="Nahuel Catriel", phone="+54 9 11 4567-8901",
             phone2="011 4321-8765", fax="011 4321-0000", email="flor.gimenez@yahoo.com.ar",
             url="https://instagram.com/florbelen.g", ip="181.47.203.8", nid="30.456.789",
             nid2="CUIL |27-30456789-4", mrn="HC |458.112", plan="afiliado PAMI |150123456789",
             plate="AB 123 CD", serial="serie |ZX-4410982", license="licencia |30456789",
             account="CBU |0170099220000067797370", street="Av. Corrientes 3456, piso 4, depto B",
             postal="C1193AAF", town="Lomas de Zamora", date1="03/07/2023",
             date2="12 de octubre de 2022", date3="febrero de 2024", age90="91"),
    ],
    "co": [
        dict(name="Yeison Andrés Mosquera Palacios", first="Yeison", rel="Leidy Johana",
             doc="Caicedo", nick="el |Mono", peer="Wilmer Asprilla", phone="+57 310 456 7890",
             phone2="604 444 5566", fax="601 555 1234", email="yeison.mp@outlook.com",
             url="https://www.facebook.com/yeisonandres.mosquera", ip="186.84.12.250",
             nid="CC |1.020.456.789", nid2="TI |98123456789", mrn="HC-2023-00981",
             plan="EPS Sura |1020456789", plate="placa |KJT-482", serial="serial |8841-2290-17",
             license="licencia |1020456789", account="cuenta de ahorros |457-000123-45",
             street="Calle 45 # 12-34, Barrio Manrique", postal="050012", town="Soacha",
             date1="15/06/2023", date2="8 de marzo de 2021", date3="julio de 2023",
             age90="93"),
    ],
    "cl": [
        dict(name="Catalina Ignacia Fuentealba Riquelme", first="Catalina", rel="Bastián",
             doc="Aravena", nick="la |Cata", peer="Millaray Huenchullán", phone="+56 9 8765 4321",
             phone2="22 345 6789", fax="22 345 0000", email="cata.fuentealba@gmail.com",
             url="https://twitter.com/catafuentealba", ip="200.83.144.9", nid=_rut("15678234"),
             nid2="RUN |9.876.543-" + rut.calc_check_digit("9876543"), mrn="ficha |774512",
             plan="FONASA tramo B |15678234", plate="patente |BBCL-34", serial="serie |MK2290431",
             license="licencia |15678234", account="cuenta RUT |15678234",
             street="Pasaje Los Aromos 1234, Villa Los Héroes", postal="8150000",
             town="Puente Alto", date1="22/11/2023", date2="3 de abril de 2022",
             date3="agosto de 2023", age90="95"),
    ],
    "pe": [
        dict(name="Yessenia Ccoillo Huarcaya", first="Yessenia", rel="Edwin",
             doc="Villacorta", nick="la |Negra", peer="Anacleto Pumacahua", phone="987 654 321",
             phone2="+51 1 234 5678", fax="01 234 5679", email="yessenia.ccoillo@gmail.com",
             url="https://www.facebook.com/yessenia.ccoillo", ip="190.43.12.77",
             nid="DNI |45871236", nid2="carné de extranjería |001234567", mrn="HCL |0045612",
             plan="SIS |45871236", plate="placa |ABC-123", serial="serie |4471-XZ-09",
             license="brevete |Q45871236", account="cuenta |191-45871236-0-55",
             street="Jr. Huallaga 345, Cercado", postal="15001", town="San Juan de Lurigancho",
             date1="09/02/2024", date2="25 de diciembre de 2022", date3="junio de 2023",
             age90="90"),
    ],
    "br": [
        dict(name="Thaís Aparecida Bezerra", first="Thaís", rel="Marcos Vinícius",
             doc="Tavares", nick="Tatá", peer="Jurema Tabajara", phone="(11) 98765-4321",
             phone2="+55 21 3344-5566", fax="(11) 3456-7890", email="thais.bezerra@gmail.com",
             url="https://www.instagram.com/thais.aparecida.b", ip="177.92.3.154",
             nid=_cpf("529982247"), nid2=_cns("0123456789012"), mrn="prontuário nº |0098231",
             plan="carteirinha |0123456789012345", plate="placa |RJX-4B21",
             serial="série |99AB-77123", license="CNH |04512378901",
             account="conta |12345-6", street="Rua Augusta, 1500, apto 42",
             postal="01310-100", town="Guarulhos", date1="14/03/2023",
             date2="2 de agosto de 2022", date3="janeiro de 2024", age90="92"),
        dict(name="Sebastião Ferreira dos Santos", first="Sebastião", rel="Rosângela",
             doc="Magalhães", nick="Tião", peer="Kauê Potiguara", phone="(81) 99123-4567",
             phone2="+55 81 3222-1100", fax="(81) 3222-0000", email="tiao.santos@uol.com.br",
             url="facebook.com/sebastiao.fsantos", ip="200.155.81.6", nid=_cpf("111444777"),
             nid2="RG |12.345.678-9", mrn="prontuário |2023/771245", plan="SUS |898001234567890",
             plate="placa |PEB-7H42", serial="IMEI |490154203237518", license="CNH |09876543210",
             account="conta |98765-4", street="Avenida Boa Viagem, 3200, bloco B, apto 1101",
             postal="51020-000", town="Jaboatão dos Guararapes", date1="30/10/2023",
             date2="17 de maio de 2021", date3="setembro de 2023", age90="97"),
    ],
    "us": [
        dict(name="Wendell Fairbrother", first="Wendell", rel="Darlene", doc="Natarajan",
             nick="Dell", peer="Keanu Whitfield", phone="(617) 555-0142",
             phone2="+1 413 555 0188", fax="617-555-0100", email="wendell.fb@example.com",
             url="https://www.linkedin.com/in/wendellfairbrother", ip="10.24.31.201",
             nid="SSN |219-09-9999", nid2="Medicaid ID |100234567A", mrn="MRN |00482913",
             plan="member ID |XJH482913004", plate="plate |7XYZ123", serial="serial |SN4482-1193",
             license="driver's license |S123-4567-8901", account="account |000123456789",
             street="48 Cedar Hill Road, Apt 3", postal="02124", town="Dorchester",
             date1="03/14/2023", date2="August 2, 2022", date3="January 2024", age90="93"),
        dict(name="Tyrone Begay", first="Tyrone", rel="Shanice", doc="Whitehorse",
             nick="T-Bone", peer="Dakota Yazzie", phone="505-555-0173",
             phone2="+1 (928) 555-0110", fax="505-555-0199", email="tbegay82@gmail.com",
             url="www.facebook.com/tyrone.begay.82", ip="2001:db8:85a3::8a2e:370:7334",
             nid="SSN |078-05-1120", nid2="IHS chart |5512093", mrn="MRN |7741-2209",
             plan="Medicaid |0877412209", plate="NM plate |ABC-1234", serial="serial |99-4471-22",
             license="license NM |123456789", account="account |4417-1234-5678-9113",
             street="1207 N Main Street", postal="87301", town="Gallup",
             date1="11/21/2023", date2="May 5, 2021", date3="November 2023", age90="96"),
    ],
    "ca": [
        dict(name="Océane Thibodeau", first="Océane", rel="Mathieu", doc="Lachapelle",
             nick="Oce", peer="Kiawenti Diabo", phone="514-555-0199", phone2="+1 418 555 0123",
             fax="514-555-0111", email="oceane.thibodeau@videotron.ca",
             url="https://www.facebook.com/oceane.thibodeau", ip="24.37.201.15",
             nid="SIN |" + _sin("04645428"), nid2="RAMQ |THIO85121234", mrn="dossier |00457812",
             plan="RAMQ |THIO 8512 1234", plate="plate |H45 KLM", serial="serial |4471-9920-XZ",
             license="permis |T1234-567890-12", account="compte |00123-456-7",
             street="4520 rue Saint-Denis, app. 3", postal="H2J 2L3", town="Longueuil",
             date1="2023-03-14", date2="14 mars 2023", date3="juin 2023", age90="91"),
    ],
    "fr": [
        dict(name="Sylvie Lemaître", first="Sylvie", rel="Karim", doc="Benhamou",
             nick="Sissi", peer="Yanis Boukhari", phone="06 12 34 56 78",
             phone2="+33 1 45 67 89 10", fax="01 45 67 89 11", email="sylvie.lemaitre@orange.fr",
             url="https://www.facebook.com/sylvie.lemaitre.75", ip="90.12.44.201",
             nid="NIR |" + _nir("2851275108123"), nid2="carte vitale |285127510812345",
             mrn="dossier n° |2023-11874", plan="mutuelle |7712 3345", plate="plaque |AB-123-CD",
             serial="série |88-ZX-4401", license="permis |12AB34567", account="compte |00012345678",
             street="12 rue des Lilas", postal="75011", town="Montreuil", date1="14/03/2023",
             date2="2 août 2022", date3="janvier 2024", age90="93"),
    ],
}

# (program, template, clinical terms that must survive). One sentence per line for review.
TEMPLATES: dict[str, list[tuple[str, str, list[str]]]] = {
    "es": [
        ("sud", "Presentamos a la paciente {name}, de 34 años, {nid}, expediente {mrn}. "
         "Vive en {town} con su pareja {rel}. Consume heroína fumada desde {date3} y en los "
         "últimos meses fentanilo; tuvo una sobredosis el {date1} revertida con naloxona. "
         "Inició buprenorfina 16 mg diarios con COWS de 14 al ingreso. Pregunta para el hub: "
         "¿conviene pasar a buprenorfina de depósito? Contacto: Dra. {doc}, tel. {phone}, "
         "correo {email}.",
         ["heroína", "fentanilo", "sobredosis", "naloxona", "buprenorfina 16 mg diarios",
          "COWS de 14", "buprenorfina de depósito"]),
        ("co-occurring", "Caso de {name} (conocido como {nick}), 47 años, {nid2}. Trastorno "
         "por consumo de alcohol grave con AUDIT de 31 y episodio depresivo mayor, PHQ-9 de 18. "
         "Última hospitalización por abstinencia complicada el {date2}. Recibe sertralina 100 mg "
         "y naltrexona 50 mg. Su hermana {rel} lo acompaña a las consultas; teléfono de la "
         "familia {phone2}. Domicilio: {street}, C.P. {postal}. ¿Cómo abordar la ideación "
         "suicida pasiva?",
         ["Trastorno por consumo de alcohol grave", "AUDIT de 31", "PHQ-9 de 18",
          "sertralina 100 mg", "naltrexona 50 mg", "ideación suicida pasiva"]),
        ("pain", "Paciente {name}, historia clínica {mrn}, con lumbalgia crónica desde 2015 y "
         "uso de tramadol 400 mg/día más clonazepam 2 mg (Rivotril). Dosis equivalente de "
         "morfina 80 MME. Puntaje PEG de 7. Se realizó resonancia el {date1}. El médico "
         "tratante, Dr. {doc}, solicita orientación para reducir opioides. Fax del centro "
         "{fax}. Historia clínica electrónica en {url}.",
         ["lumbalgia crónica", "tramadol 400 mg/día", "clonazepam 2 mg", "Rivotril",
          "80 MME", "PEG de 7", "reducir opioides", "desde 2015"]),
        ("hiv", "Mujer de 29 años, {nid}, con VIH diagnosticado en {date3}. CD4 350 "
         "células/mm3 y carga viral 45.000 copias/mL al inicio. Recibe Biktarvy con adherencia "
         "irregular por consumo de metanfetamina. {first} refiere que su pareja {rel} no conoce "
         "el diagnóstico. Vive en {street}. Celular {phone}. Próxima cita el {date1}.",
         ["VIH", "CD4 350 células/mm3", "carga viral 45.000 copias/mL", "Biktarvy",
          "adherencia irregular", "metanfetamina"]),
        ("sud", "Hombre de {age90} años, viudo, derivado por consumo de benzodiacepinas y "
         "alcohol. Vive solo en {town}; su sobrino {rel} lo visita. Toma lorazepam 4 mg diarios "
         "sin receta. CIWA-Ar de 12. {nid}. Ingreso al programa el {date2}. Escala de "
         "Glasgow normal. Correo del sobrino: {email}.",
         ["benzodiacepinas", "lorazepam 4 mg diarios", "CIWA-Ar de 12",
          "Escala de Glasgow normal"]),
        ("co-occurring", "Presentación de {name}, 22 años, {nid}. Esquizofrenia en tratamiento "
         "con risperidona 4 mg y consumo diario de cannabis y pasta base. Dos ingresos "
         "psiquiátricos, el último el {date1}. Su madre, la Sra. {rel}, pide apoyo. Tel. de "
         "contacto {phone}. Dirección: {street}, {town}. Usuario en redes {url}.",
         ["Esquizofrenia", "risperidona 4 mg", "cannabis", "pasta base",
          "ingresos psiquiátricos"]),
        ("pain", "{name}, 58 años, trabajador de la construcción con dolor neuropático por "
         "hernia discal. Usa oxicodona 40 mg cada 12 h, pregabalina 300 mg y fuma tabaco. "
         "Se presentó a urgencias el {date1} con somnolencia; se indicó naloxona intranasal "
         "para el hogar. Seguro: {plan}. Licencia de conducir {license}. ¿Rotar a metadona?",
         ["dolor neuropático", "hernia discal", "oxicodona 40 mg cada 12 h",
          "pregabalina 300 mg", "naloxona intranasal", "metadona"]),
        ("hiv", "Paciente {name}, hombre que tiene sexo con hombres, con VIH y hepatitis C. "
         "Carga viral indetectable con Dovato; ARN VHC positivo. Uso de chemsex con "
         "metanfetamina y GHB. Compañero {rel}, quien también está en PrEP. {mrn}. Contacto "
         "por WhatsApp {phone}. Acceso remoto desde la IP {ip}.",
         ["VIH", "hepatitis C", "Carga viral indetectable", "Dovato", "ARN VHC positivo",
          "chemsex", "GHB", "PrEP"]),
        ("sud", "Paciente {name}, alias {nick}, 31 años, en situación de calle. Inyecta "
         "heroína y xilacina; úlceras en ambos antebrazos. Inició metadona 80 mg el {date1}, "
         "hoy en 100 mg. Detenido en {date3}; vehículo con {plate}. Trabajadora social: "
         "{peer}, {email}.",
         ["situación de calle", "xilacina", "úlceras en ambos antebrazos", "metadona 80 mg",
          "100 mg"]),
        ("co-occurring", "Joven de 19 años con TDAH y consumo de cocaína. {first} acude con "
         "su padre {rel}. Metilfenidato suspendido el {date2}. GAD-7 de 15. Domicilio {street}, "
         "código postal {postal}. Número de cuenta para subsidio {account}. Dispositivo de "
         "monitoreo {serial}.",
         ["TDAH", "cocaína", "Metilfenidato", "GAD-7 de 15"]),
        ("hiv", "Mujer trans de 38 años, {nid}, con VIH avanzado y sarcoma de Kaposi. CD4 85 "
         "células/mm3. Reinicia TARV con Biktarvy y profilaxis con cotrimoxazol. Consume "
         "alcohol, AUDIT-C de 9. La referente comunitaria {peer} ({phone2}) la acompaña. "
         "Fecha de nacimiento {date2}. Correo {email}.",
         ["VIH avanzado", "sarcoma de Kaposi", "CD4 85 células/mm3", "TARV", "Biktarvy",
          "cotrimoxazol", "AUDIT-C de 9"]),
    ],
    "pt": [
        ("sud", "Apresentamos a paciente {name}, 34 anos, CPF {nid}, {mrn}. Mora em {town} com "
         "o companheiro {rel}. Usa crack desde {date3} e cocaína aspirada; teve overdose em "
         "{date1}. Acompanhada no CAPS AD. Iniciou topiramato 100 mg. Pergunta para o hub: "
         "vale associar naltrexona? Contato da equipe: Dr. {doc}, tel. {phone}, e-mail {email}.",
         ["crack", "cocaína aspirada", "overdose", "CAPS AD", "topiramato 100 mg",
          "naltrexona"]),
        ("co-occurring", "Caso de {name} (apelido {nick}), 47 anos, cartão SUS {nid2}. "
         "Transtorno por uso de álcool grave, AUDIT 31, e depressão com PHQ-9 de 18. Última "
         "internação por síndrome de abstinência em {date2}. Usa sertralina 100 mg e "
         "dissulfiram. A irmã {rel} acompanha; telefone da família {phone2}. Endereço: "
         "{street}, CEP {postal}. Como abordar a ideação suicida?",
         ["Transtorno por uso de álcool grave", "AUDIT 31", "PHQ-9 de 18",
          "síndrome de abstinência", "sertralina 100 mg", "dissulfiram", "ideação suicida"]),
        ("pain", "Paciente {name}, {mrn}, com dor lombar crônica desde 2015, em uso de "
         "tramadol 400 mg/dia e clonazepam 2 mg (Rivotril). Equivalente de morfina 80 MME. "
         "PEG 7. Ressonância realizada em {date1}. O médico assistente, Dr. {doc}, pede "
         "orientação para desmame de opioides. Fax da unidade {fax}. Prontuário eletrônico "
         "em {url}.",
         ["dor lombar crônica", "tramadol 400 mg/dia", "clonazepam 2 mg", "Rivotril",
          "80 MME", "PEG 7", "desmame de opioides"]),
        ("hiv", "Mulher de 29 anos, CPF {nid}, com HIV diagnosticado em {date3}. CD4 350 "
         "células/mm3 e carga viral 45.000 cópias/mL no início. Em uso de Dovato com adesão "
         "irregular por uso de crack. {first} relata que o parceiro {rel} não sabe do "
         "diagnóstico. Mora na {street}. Celular {phone}. Retorno em {date1}.",
         ["HIV", "CD4 350 células/mm3", "carga viral 45.000 cópias/mL", "Dovato",
          "adesão irregular", "crack"]),
        ("sud", "Homem de {age90} anos, viúvo, encaminhado por uso de benzodiazepínicos e "
         "álcool. Mora sozinho em {town}; o sobrinho {rel} visita. Toma diazepam 30 mg por "
         "dia sem receita. CIWA-Ar 12. CPF {nid}. Entrada no programa em {date2}. E-mail do "
         "sobrinho: {email}.",
         ["benzodiazepínicos", "diazepam 30 mg por dia", "CIWA-Ar 12"]),
        ("co-occurring", "Apresentação de {name}, 22 anos. Esquizofrenia em tratamento com "
         "risperidona 4 mg e uso diário de maconha e crack. Duas internações psiquiátricas, a "
         "última em {date1}. A mãe, Dona {rel}, pede apoio. Tel. {phone}. Endereço: {street}, "
         "{town}. Perfil {url}. RG {nid2}.",
         ["Esquizofrenia", "risperidona 4 mg", "maconha", "crack",
          "internações psiquiátricas"]),
        ("pain", "{name}, 58 anos, pedreiro, com dor neuropática por hérnia de disco. Usa "
         "oxicodona 40 mg de 12/12 h e pregabalina 300 mg; tabagista. Foi à UPA em {date1} "
         "com sonolência; prescrita naloxona. Convênio: {plan}. {license}. Devemos rodar "
         "para metadona?",
         ["dor neuropática", "hérnia de disco", "oxicodona 40 mg de 12/12 h",
          "pregabalina 300 mg", "naloxona", "metadona"]),
        ("hiv", "Paciente {name}, HSH, com HIV e hepatite C. Carga viral indetectável com "
         "Biktarvy; HCV-RNA positivo. Chemsex com metanfetamina e GHB. Parceiro {rel}, também "
         "em PrEP. Prontuário {mrn}. WhatsApp {phone}. Acesso pelo IP {ip}.",
         ["HIV", "hepatite C", "Carga viral indetectável", "Biktarvy", "HCV-RNA positivo",
          "Chemsex", "GHB", "PrEP"]),
        ("sud", "Paciente {name}, vulgo {nick}, 31 anos, em situação de rua. Injeta cocaína; "
         "abscessos nos antebraços. Iniciou metadona 80 mg em {date1}, hoje com 100 mg. Preso "
         "em {date3}; moto {plate}. Assistente social: {peer}, {email}.",
         ["situação de rua", "cocaína", "abscessos nos antebraços", "metadona 80 mg",
          "100 mg"]),
        ("co-occurring", "Jovem de 19 anos com TDAH e uso de cocaína. {first} vem com o pai "
         "{rel}. Metilfenidato suspenso em {date2}. GAD-7 de 15. Endereço {street}, CEP "
         "{postal}. Conta para benefício {account}. Aparelho de monitoramento {serial}.",
         ["TDAH", "cocaína", "Metilfenidato", "GAD-7 de 15"]),
        ("hiv", "Mulher trans de 38 anos, CPF {nid}, com HIV avançado e sarcoma de Kaposi. CD4 "
         "85 células/mm3. Reinicia TARV com Dovato e profilaxia com sulfametoxazol-trimetoprima. "
         "Uso de álcool, AUDIT-C 9. A agente comunitária {peer} ({phone2}) acompanha. Nascida "
         "em {date2}. E-mail {email}.",
         ["HIV avançado", "sarcoma de Kaposi", "CD4 85 células/mm3", "TARV", "Dovato",
          "sulfametoxazol-trimetoprima", "AUDIT-C 9"]),
    ],
    "en": [
        ("sud", "We present {name}, a 34-year-old woman, {mrn}, {nid}. She lives in {town} "
         "with her partner {rel}. She has smoked fentanyl since {date3} and overdosed on "
         "{date1}, reversed with naloxone. Started buprenorphine 16 mg daily; COWS of 14 at "
         "induction. Question for the hub: should we switch to extended-release buprenorphine? "
         "Team contact: Dr. {doc}, phone {phone}, email {email}.",
         ["fentanyl", "naloxone", "buprenorphine 16 mg daily", "COWS of 14",
          "extended-release buprenorphine"]),
        ("co-occurring", "Case of {name} (goes by {nick}), 47, {nid2}. Severe alcohol use "
         "disorder with AUDIT of 31 and major depression, PHQ-9 of 18. Last admitted for "
         "complicated withdrawal on {date2}. Takes sertraline 100 mg and naltrexone 50 mg. "
         "His sister {rel} comes to visits; family phone {phone2}. Address: {street}, "
         "{town}, MA {postal}. How should we address passive suicidal ideation?",
         ["Severe alcohol use disorder", "AUDIT of 31", "PHQ-9 of 18", "sertraline 100 mg",
          "naltrexone 50 mg", "passive suicidal ideation"]),
        ("pain", "Patient {name}, {mrn}, has chronic low back pain since 2015 and takes "
         "oxycodone 30 mg three times daily plus alprazolam 1 mg (Xanax). Morphine "
         "equivalent 135 MME. PEG score 7. MRI done on {date1}. The treating clinician, "
         "Dr. {doc}, asks for help tapering opioids. Clinic fax {fax}. Chart portal {url}.",
         ["chronic low back pain", "oxycodone 30 mg three times daily", "alprazolam 1 mg",
          "Xanax", "135 MME", "PEG score 7", "tapering opioids", "since 2015"]),
        ("hiv", "A 29-year-old woman, {nid}, diagnosed with HIV in {date3}. CD4 350 cells/mm3 "
         "and viral load 45,000 copies/mL at baseline. On Biktarvy with poor adherence due to "
         "methamphetamine use. {first} reports that her partner {rel} does not know the "
         "diagnosis. She lives at {street}. Cell {phone}. Next visit on {date1}.",
         ["HIV", "CD4 350 cells/mm3", "viral load 45,000 copies/mL", "Biktarvy",
          "poor adherence", "methamphetamine"]),
        ("sud", "A {age90}-year-old widower referred for benzodiazepine and alcohol use. Lives "
         "alone in {town}; his nephew {rel} visits weekly. Takes lorazepam 4 mg daily without "
         "a prescription. CIWA-Ar of 12. {nid}. Enrolled on {date2}. Nephew's email: {email}.",
         ["benzodiazepine", "lorazepam 4 mg daily", "CIWA-Ar of 12"]),
        ("co-occurring", "Presenting {name}, 22, {nid2}. Schizophrenia treated with "
         "risperidone 4 mg and daily cannabis and methamphetamine use. Two psychiatric "
         "admissions, the last on {date1}. His mother, Mrs. {rel}, asks for support. Phone "
         "{phone}. Address: {street}, {town}. Social media {url}.",
         ["Schizophrenia", "risperidone 4 mg", "cannabis", "methamphetamine",
          "psychiatric admissions"]),
        ("pain", "{name}, 58, a construction worker with neuropathic pain from a herniated "
         "disc. Uses oxycodone 40 mg every 12 hours and pregabalin 300 mg; smokes tobacco. "
         "Seen in the Emergency Department on {date1} for sedation; given intranasal naloxone "
         "to take home. Insurance {plan}. {license}. Should we rotate to methadone?",
         ["neuropathic pain", "herniated disc", "oxycodone 40 mg every 12 hours",
          "pregabalin 300 mg", "intranasal naloxone", "rotate to methadone"]),
        ("hiv", "Patient {name}, a man who has sex with men, living with HIV and hepatitis C. "
         "Viral load undetectable on Dovato; HCV RNA positive. Chemsex with methamphetamine "
         "and GHB. Partner {rel} is also on PrEP. {mrn}. Contact by WhatsApp {phone}. Remote "
         "access from IP {ip}.",
         ["HIV", "hepatitis C", "Viral load undetectable", "Dovato", "HCV RNA positive",
          "Chemsex", "GHB", "PrEP"]),
        ("sud", "Patient {name}, known as {nick}, 31, experiencing homelessness. Injects "
         "fentanyl and xylazine; wounds on both forearms. Started methadone 80 mg on {date1}, "
         "now 100 mg. Arrested in {date3}; car {plate}. Case manager: {peer}, {email}.",
         ["homelessness", "xylazine", "wounds on both forearms", "methadone 80 mg",
          "100 mg"]),
        ("co-occurring", "A 19-year-old with ADHD and cocaine use. {first} comes with his "
         "father {rel}. Methylphenidate stopped on {date2}. GAD-7 of 15. Lives at {street}, "
         "ZIP code {postal}. Benefits {account}. Glucose monitor {serial}. Attends Narcotics "
         "Anonymous.",
         ["ADHD", "cocaine", "Methylphenidate", "GAD-7 of 15", "Narcotics Anonymous"]),
        ("hiv", "A 38-year-old transgender woman, {nid}, with advanced HIV and Kaposi sarcoma. "
         "CD4 85 cells/mm3. Restarting ART with Biktarvy and cotrimoxazole prophylaxis. Drinks "
         "alcohol, AUDIT-C of 9. Peer navigator {peer} ({phone2}) accompanies her. Born on "
         "{date2}. Email {email}.",
         ["advanced HIV", "Kaposi sarcoma", "CD4 85 cells/mm3", "ART", "Biktarvy",
          "cotrimoxazole prophylaxis", "AUDIT-C of 9"]),
    ],
    "fr": [
        ("sud", "Nous présentons Mme {name}, 34 ans, {nid}, {mrn}. Elle vit à {town} avec son "
         "conjoint {rel}. Consommation de fentanyl depuis {date3}; surdose le {date1} traitée "
         "par naloxone. Début de buprénorphine 16 mg par jour, COWS 14. Question au hub: "
         "passer à la buprénorphine à libération prolongée? Contact: Dr {doc}, tél. {phone}, "
         "courriel {email}.",
         ["fentanyl", "surdose", "naloxone", "buprénorphine 16 mg par jour", "COWS 14"]),
        ("co-occurring", "Cas de {name} (surnommée {nick}), 47 ans. Trouble de l'usage de "
         "l'alcool sévère, AUDIT 31, et dépression majeure, PHQ-9 à 18. Hospitalisée pour "
         "sevrage le {date2}. Sertraline 100 mg et naltrexone 50 mg. Sa sœur {rel} "
         "l'accompagne; téléphone {phone2}. Adresse: {street}, {postal} {town}.",
         ["Trouble de l'usage de l'alcool sévère", "AUDIT 31", "PHQ-9 à 18",
          "Sertraline 100 mg", "naltrexone 50 mg"]),
        ("pain", "Patiente {name}, {mrn}, lombalgie chronique depuis 2015, tramadol 400 mg par "
         "jour et clonazépam 2 mg. IRM le {date1}. Le Dr {doc} demande de l'aide pour le "
         "sevrage des opioïdes. Télécopieur {fax}. Dossier en ligne {url}.",
         ["lombalgie chronique", "tramadol 400 mg par jour", "clonazépam 2 mg",
          "sevrage des opioïdes"]),
        ("hiv", "Femme de 29 ans, {nid}, VIH diagnostiqué en {date3}. CD4 350 cellules/mm3, "
         "charge virale 45 000 copies/mL. Sous Biktarvy avec observance irrégulière. {first} "
         "rapporte que son partenaire {rel} ignore le diagnostic. Cellulaire {phone}. Accès "
         "depuis l'IP {ip}. Né le {date2}.",
         ["VIH", "CD4 350 cellules/mm3", "charge virale 45 000 copies/mL", "Biktarvy",
          "observance irrégulière"]),
    ],
}
# Written after the recognizers were tuned on TEMPLATES and never used for tuning: the
# corpus test reports this split separately as the honest estimate.
HOLDOUT_PERSONS = {
    "ec": dict(name="Mayra Alejandra Chiriboga Vera", first="Mayra", rel="Byron", doc="Yánez",
               nick="la |Flaquita", peer="Segundo Tupiza", phone="099 812 3456",
               phone2="+593 2 245 6789", fax="02 245 6790", email="mayra.chiriboga@hotmail.es",
               url="https://www.facebook.com/mayra.chiriboga.v", ip="186.46.77.120",
               nid="cédula |1712345678", nid2="IESS |1712345678001", mrn="HC |0098712",
               plan="seguro campesino |5512-887", plate="placa |PBA-1234",
               serial="serie |TX-55120931", license="licencia tipo B |1712345678",
               account="cuenta |2200456789", street="Av. 6 de Diciembre N34-120 y Portugal",
               postal="170517", town="Sangolquí", date1="07/05/2024",
               date2="19 de noviembre de 2022", date3="abril de 2023", age90="98"),
    "uy": dict(name="Martín Sebastián Pereyra Olivera", first="Martín", rel="Valeria",
               doc="Bentancor", nick="el |Tano", peer="Nelson Techera", phone="099 123 456",
               phone2="+598 2 401 2345", fax="2401 2346", email="msp.olivera@adinet.com.uy",
               url="www.instagram.com/martin.pereyra.uy", ip="167.56.31.200",
               nid="CI |4.567.890-1", nid2="BPS |45678901", mrn="registro |77-4512",
               plan="mutualista |CASMU 0045123", plate="matrícula |SBC 4512",
               serial="serial |MX4471209", license="libreta |4567890",
               account="cuenta |001234567-00001", street="Bulevar Artigas 1234 apto 502",
               postal="11300", town="Las Piedras", date1="12/12/2023",
               date2="1 de febrero de 2023", date3="marzo de 2022", age90="91"),
    "gt": dict(name="Rosa Amalia Xiloj Tzul", first="Rosa Amalia", rel="Diego", doc="Cojtí",
               nick="|Chabela", peer="Ixchel Batz", phone="+502 5512 3456",
               phone2="7765 4321", fax="2230 1234", email="rosa.xiloj@gmail.com",
               url="https://www.facebook.com/rosaamalia.xiloj", ip="181.174.90.33",
               nid="DPI |2345 67890 0101", nid2="IGSS |123456789012", mrn="expediente |GT-558120",
               plan="afiliación IGSS |88120", plate="placa |P-512DFG",
               serial="serie |GTQ-9912004", license="licencia |C-2345678",
               account="cuenta |33-4455667-1", street="6a. Avenida 12-45 zona 1",
               postal="01001", town="Totonicapán", date1="28/02/2024",
               date2="15 de septiembre de 2021", date3="octubre de 2023", age90="94"),
    "brn": dict(name="Raimunda Nonata da Conceição", first="Raimunda", rel="Francisco Edson",
                doc="Albuquerque", nick="|Mundinha", peer="Cleidiane Tapajós",
                phone="(91) 98123-4567", phone2="+55 91 3224-5566", fax="(91) 3224-0000",
                email="raimunda.nonata@bol.com.br", url="https://www.facebook.com/mundinha.pa",
                ip="189.44.120.7", nid="529.982.247-25", nid2="CNS |700 5012 3456 7899",
                mrn="prontuário |PA-0045871", plan="Bolsa Família NIS |12345678919",
                plate="placa |QDX-2A45", serial="série |BR-5512093", license="CNH |01122334455",
                account="conta corrente |45123-7", street="Travessa Mauriti, 1420, casa 3",
                postal="66093-180", town="Ananindeua", date1="05/06/2023",
                date2="23 de janeiro de 2020", date3="fevereiro de 2024", age90="99"),
    "pr": dict(name="Luis Ángel Rivera Colón", first="Luis Ángel", rel="Zoraida", doc="Matos",
               nick="|Wichy", peer="Kiara Santiago", phone="(787) 555-0134",
               phone2="+1 939 555 0101", fax="787-555-0177", email="lrivera.colon@yahoo.com",
               url="https://www.facebook.com/luisangel.riveracolon", ip="198.51.100.23",
               nid="SSN |001-01-0001", nid2="Medicaid ID |PR4471203X", mrn="MRN |3390-4471",
               plan="member ID |VIT-883120945", plate="plate |JKL-482",
               serial="serial |PX-44871902", license="license |4471203",
               account="account |7712-3390-4471", street="Calle Luna 152, Urb. Santa Rita",
               postal="00925", town="Bayamón", date1="09/18/2023", date2="July 4, 2021",
               date3="March 2023", age90="92"),
    "ht": dict(name="Marie-Ange Joseph", first="Marie-Ange", rel="Wilner", doc="Désir",
               nick="|Ti Ange", peer="Fabiola Jean-Louis", phone="+509 3712 4567",
               phone2="514 555 0177", fax="514 555 0178", email="marieange.joseph@gmail.com",
               url="www.facebook.com/marieange.joseph.509", ip="200.113.230.41",
               nid="NIF |001-234-567-8", nid2="RAMQ |JOSM 7702 1512",
               mrn="dossier |HT-2023-4471", plan="assurance |ONA 55-120931",
               plate="plaque |AA-12345", serial="série |HTX-8812093", license="permis |J7702-150",
               account="compte |20-4471203-1", street="35 rue Capois, app. 2",
               postal="H1G 3K4", town="Montréal-Nord", date1="15/01/2024",
               date2="12 janvier 2010", date3="septembre 2023", age90="93"),
}
HOLDOUT_TEMPLATES: dict[str, list[tuple[str, str, list[str]]]] = {
    "es": [
        ("sud", "Pcte {name}, 41a, {nid}. Motivo: consumo de alcohol y fentanilo.\n"
         "- Vive en {town}, calle sin número; esposo {rel} ({phone}).\n"
         "- Dx: TUO moderado; hepatopatía alcohólica, Child-Pugh B.\n"
         "- Tto: metadona 60 mg/día desde {date1}; tiamina 100 mg.\n"
         "Dudas al hub: interacción con rifampicina. Escribir a {email}.",
         ["TUO moderado", "hepatopatía alcohólica", "Child-Pugh B", "metadona 60 mg/día",
          "tiamina 100 mg", "rifampicina"]),
        ("hiv", "{first} consulta por falla virológica: carga viral 12.400 copias/mL con "
         "Dovato; genotipo pendiente. Diagnóstico de VIH en {date3}, TB pulmonar tratada en "
         "2019. El Dr. {doc} ({fax}) solicita revisión. Registro {mrn}. Domicilio {street}.",
         ["falla virológica", "carga viral 12.400 copias/mL", "Dovato", "VIH",
          "TB pulmonar", "en 2019"]),
        ("pain", "Paciente de {age90} años con dolor oncológico, morfina oral 60 mg cada 4 h "
         "y fentanilo transdérmico 50 mcg/h. Familia: hija {rel} y nieto {peer}. {nid2}. "
         "Consulta del {date2}. Seguro {plan}. ¿Rotación a metadona?",
         ["dolor oncológico", "morfina oral 60 mg cada 4 h",
          "fentanilo transdérmico 50 mcg/h", "metadona"]),
        ("co-occurring", "Presentamos al usuario {name} ({nick}), 27 años, con trastorno "
         "bipolar tipo I y consumo de cocaína. Litio 900 mg (litemia 0,8 mEq/L) y "
         "quetiapina 200 mg. Hospitalizado del {date1} al {date2}. Contacto {phone2}, "
         "{url}. Dispositivo {serial}. Vehículo {plate}.",
         ["trastorno bipolar tipo I", "cocaína", "Litio 900 mg", "litemia 0,8 mEq/L",
          "quetiapina 200 mg"]),
    ],
    "pt": [
        ("sud", "Pcte {name}, 41a, CPF {nid}. Queixa: uso de álcool e crack.\n"
         "- Mora em {town} com o marido {rel} ({phone}).\n"
         "- HD: transtorno por uso de álcool; cirrose Child-Pugh B.\n"
         "- Conduta: naltrexona contraindicada; acamprosato 666 mg 3x/dia desde {date1}.\n"
         "Dúvida ao hub: manejo da abstinência. E-mail {email}.",
         ["transtorno por uso de álcool", "cirrose Child-Pugh B", "naltrexona contraindicada",
          "acamprosato 666 mg 3x/dia"]),
        ("hiv", "{first} procurou a UBS com falha virológica: carga viral 12.400 cópias/mL em "
         "uso de Dovato. HIV desde {date3}; tuberculose tratada em 2019. Dr. {doc} (fax "
         "{fax}) pede discussão. {mrn}. Endereço {street}, CEP {postal}.",
         ["falha virológica", "carga viral 12.400 cópias/mL", "Dovato", "tuberculose",
          "em 2019"]),
        ("pain", "Paciente de {age90} anos com dor oncológica, morfina 60 mg de 4/4 h e "
         "fentanil transdérmico 50 mcg/h. Filha {rel} e neto {peer} cuidam. {nid2}. Consulta "
         "em {date2}. {plan}. Rodar para metadona?",
         ["dor oncológica", "morfina 60 mg de 4/4 h", "fentanil transdérmico 50 mcg/h",
          "metadona"]),
        ("co-occurring", "Apresentamos {name} ({nick}), 27 anos, transtorno bipolar tipo I e "
         "uso de cocaína. Lítio 900 mg (litemia 0,8 mEq/L) e quetiapina 200 mg. Internado de "
         "{date1} a {date2}. Contato {phone2}, {url}. Aparelho {serial}. {plate}. {account}.",
         ["transtorno bipolar tipo I", "cocaína", "Lítio 900 mg", "litemia 0,8 mEq/L",
          "quetiapina 200 mg"]),
    ],
    "en": [
        ("sud", "Pt {name}, 41F, {nid}. CC: alcohol and fentanyl use.\n"
         "- Lives in {town} with husband {rel} ({phone}).\n"
         "- Dx: moderate OUD; alcohol-related liver disease, Child-Pugh B.\n"
         "- Tx: methadone 60 mg daily since {date1}; thiamine 100 mg.\n"
         "Hub question: interaction with rifampin? Email {email}.",
         ["moderate OUD", "alcohol-related liver disease", "Child-Pugh B",
          "methadone 60 mg daily", "thiamine 100 mg", "rifampin"]),
        ("hiv", "{first} presents with virologic failure: viral load 12,400 copies/mL on "
         "Dovato; genotype pending. HIV diagnosed in {date3}; pulmonary TB treated in 2019. "
         "Dr. {doc} (fax {fax}) requests review. {mrn}. Address {street}, PR {postal}.",
         ["virologic failure", "viral load 12,400 copies/mL", "Dovato", "pulmonary TB",
          "in 2019"]),
        ("pain", "A {age90}-year-old with cancer pain on oral morphine 60 mg every 4 hours "
         "and transdermal fentanyl 50 mcg/h. Family: daughter {rel} and grandson {peer}. "
         "{nid2}. Seen on {date2}. {plan}. Rotate to methadone?",
         ["cancer pain", "oral morphine 60 mg every 4 hours", "transdermal fentanyl 50 mcg/h",
          "methadone"]),
        ("co-occurring", "Presenting {name} (aka {nick}), 27, with bipolar I disorder and "
         "cocaine use. Lithium 900 mg (level 0.8 mEq/L) and quetiapine 200 mg. Admitted from "
         "{date1} to {date2}. Contact {phone2}, {url}. Device {serial}. {plate}. {account}.",
         ["bipolar I disorder", "cocaine use", "Lithium 900 mg", "0.8 mEq/L",
          "quetiapine 200 mg"]),
    ],
    "fr": [
        ("sud", "Mme {name}, 41 ans, {nid}. Motif: alcool et fentanyl. Vit à {town} avec son "
         "mari {rel} ({phone}). Méthadone 60 mg par jour depuis le {date1}. Question: "
         "interaction avec la rifampicine? Courriel {email}. Dossier {mrn}.",
         ["alcool", "fentanyl", "Méthadone 60 mg par jour", "rifampicine"]),
        ("hiv", "{first} consulte pour échec virologique: charge virale 12 400 copies/mL sous "
         "Dovato. VIH depuis {date3}. Le Dr {doc} (télécopieur {fax}) demande un avis. "
         "Adresse {street}, {postal}. {nid2}.",
         ["échec virologique", "charge virale 12 400 copies/mL", "Dovato", "VIH"]),
    ],
}
# Texts without identifiers, dense in capitalised clinical vocabulary: precision only.
CLINICAL_ONLY: dict[str, list[tuple[str, str, list[str]]]] = {
    "es": [("sud", "Resumen: TUO grave en tratamiento con Suboxone 16/4 mg y Narcan en casa. "
            "Asiste a Narcóticos Anónimos dos veces por semana. PHQ-9 de 11, GAD-7 de 9. "
            "Hepatitis C tratada con Epclusa en 2021; VIH negativo, PrEP con Truvada. "
            "Plan: continuar Suboxone, ECG por QTc, control en 4 semanas.",
            ["Suboxone 16/4 mg", "Narcan", "Narcóticos Anónimos", "PHQ-9 de 11", "GAD-7 de 9",
             "Hepatitis C", "Epclusa", "en 2021", "Truvada", "ECG", "QTc", "4 semanas"])],
    "pt": [("hiv", "Resumo: HIV com carga viral indetectável em uso de Biktarvy; CD4 620 "
            "células/mm3. Sífilis tratada com penicilina benzatina. Acompanhado no CAPS AD por "
            "uso de álcool, AUDIT 16. Sarcoma de Kaposi em remissão. Vacinas: hepatite B e "
            "HPV em dia. Plano: manter TARV e reforçar redução de danos.",
            ["carga viral indetectável", "Biktarvy", "CD4 620 células/mm3", "Sífilis",
             "penicilina benzatina", "CAPS AD", "AUDIT 16", "Sarcoma de Kaposi", "hepatite B",
             "HPV", "TARV", "redução de danos"])],
    "en": [("pain", "Summary: Chronic Pain with Opioid Use Disorder on Sublocade 300 mg "
            "monthly after Suboxone induction. Uses Lyrica 150 mg and Cymbalta 60 mg. PEG "
            "score 6, Oswestry 42%. Attends Alcoholics Anonymous and SMART Recovery. Naloxone "
            "kit given. Urine Drug Screen positive for fentanyl and Xylazine; plan Wound Care "
            "and Hepatitis C Virus testing per CDC guidance.",
            ["Sublocade 300 mg monthly", "Suboxone", "Lyrica 150 mg", "Cymbalta 60 mg",
             "PEG score 6", "Alcoholics Anonymous", "SMART Recovery", "Naloxone kit",
             "fentanyl", "Xylazine", "Hepatitis C Virus"])],
    "fr": [("sud", "Résumé: trouble de l'usage des opioïdes sous Méthadone 80 mg; suivi en "
            "CSAPA et CAARUD. Hépatite C guérie sous Maviret. Score PHQ-9 à 12. Naloxone "
            "nasale (Nyxoid) remise. Plan: poursuivre la TSO et le soutien psychosocial.",
            ["Méthadone 80 mg", "CSAPA", "CAARUD", "Hépatite C", "Maviret", "PHQ-9 à 12",
             "Naloxone nasale", "Nyxoid", "TSO"])],
}
HOLDOUT_PEOPLE = {"es": ["ec", "uy", "gt"], "pt": ["brn", "brn"], "en": ["pr", "ca"],
                  "fr": ["ht", "fr"]}
PEOPLE_BY_LANGUAGE = {
    "es": ["mx", "ar", "co", "cl", "pe", "mx"],
    "pt": ["br", "br"],
    "en": ["us", "us", "ca"],
    "fr": ["fr", "ca"],
}


def _people(language: str) -> list[dict[str, str]]:
    out, seen = [], {}
    for country in PEOPLE_BY_LANGUAGE[language]:
        index = seen.get(country, 0)
        out.append(PERSONS[country][index % len(PERSONS[country])])
        seen[country] = index + 1
    return out


def render(template: str, person: dict[str, str]) -> tuple[str, list[dict[str, object]]]:
    """Fill the slots; a value 'cue |value' writes the cue unlabelled and labels the value."""
    text, labels, cursor = "", [], 0
    for match in SLOT.finditer(template):
        text += template[cursor:match.start()]
        cue, _, value = person[match.group(1)].rpartition("|")
        text += cue
        labels.append({"start": len(text), "end": len(text) + len(value), "text": value,
                       "kind": KINDS[match.group(1)], "slot": match.group(1)})
        text += value
        cursor = match.end()
    return text + template[cursor:], labels


def build() -> list[dict[str, object]]:
    records = []
    rng = random.Random(20240506)
    for language, templates in TEMPLATES.items():
        people = _people(language)
        for t_index, (program, template, terms) in enumerate(templates):
            picks = [people[t_index % len(people)], people[(t_index + 1) % len(people)]]
            for variant, person in enumerate(picks):
                text, labels = render(template, person)
                records.append(_record(f"{language}-{t_index + 1:02d}{'ab'[variant]}",
                                       language, program, text, labels, terms, "tuning"))
    for language, templates in HOLDOUT_TEMPLATES.items():
        people = [HOLDOUT_PERSONS.get(c) or PERSONS[c][0] for c in HOLDOUT_PEOPLE[language]]
        for t_index, (program, template, terms) in enumerate(templates):
            for variant in range(2):
                person = people[(t_index + variant) % len(people)]
                text, labels = render(template, person)
                records.append(_record(f"{language}-h{t_index + 1:02d}{'ab'[variant]}",
                                       language, program, text, labels, terms, "holdout"))
    for language, templates in CLINICAL_ONLY.items():
        for t_index, (program, text, terms) in enumerate(templates):
            records.append(_record(f"{language}-c{t_index + 1:02d}", language, program, text,
                                   [], terms, "holdout"))
    rng.shuffle(records)
    return sorted(records, key=lambda r: r["id"])


def _record(rid: str, language: str, program: str, text: str, labels: list[dict[str, object]],
            terms: list[str], split: str) -> dict[str, object]:
    return {"id": rid, "split": split, "language": language, "program": program, "text": text,
            "identifiers": labels, "clinical_terms": terms}


def main() -> None:
    records = build()
    with (HERE / "narratives.jsonl").open("w", encoding="utf-8") as out:
        for record in records:
            out.write(json.dumps(record, ensure_ascii=False) + "\n")
    print(f"{len(records)} narratives written")


if __name__ == "__main__":
    main()
